return { cell = function(c)
  local t = setmetatable({}, {__len = function() return 1 << 60 end})
  mx.replace(t, "a", "b")
end }
