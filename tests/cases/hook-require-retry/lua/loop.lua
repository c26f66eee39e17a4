return require("loop")
