return { cell = function(c)
  c.aliases = {}
  local f = pairs(c.aliases)
  print(f(c.aliases, -1))
end }
