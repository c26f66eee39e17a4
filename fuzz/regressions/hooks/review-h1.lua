return { cell = function(c)
  local t = setmetatable({}, {__index = type})
  return mx.has(t, "x") and nil
end }
