return { cell = function(c)
  local t = setmetatable({}, {__len = function() return 1 << 50 end})
  table.insert(t, 1, "x")
end }
