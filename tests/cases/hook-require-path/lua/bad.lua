local x = require "../matrix"
return {}
