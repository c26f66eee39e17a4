return { cell = function(c)
  local f = pairs(c)
  f({}, nil)
end }
