-- The returned table is read raw: its __index never runs outside a budget.
return setmetatable({ cell = function(c) end, celll = true }, {
  __index = function() while true do end end,
})
