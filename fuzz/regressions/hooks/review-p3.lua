return { cell = function(c)
  local f = pairs(c.configure)
  print(f(c, 0))
end }
