-- A finalizer would run whenever the collector reaches it, outside every
-- hook's instruction budget (at the latest in lua_close): refused.
return {
  cell = function(c)
    setmetatable({}, { __gc = function() while true do end end })
  end,
}
