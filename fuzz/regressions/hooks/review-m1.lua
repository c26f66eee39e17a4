return { cell = function(c)
  local t = {}
  for i = 1, 1000 do t[i] = "--x" .. i end
  c.configure = t
  for i = 1, 300000 do mx.remove(c.configure, "nothing") end
end }
