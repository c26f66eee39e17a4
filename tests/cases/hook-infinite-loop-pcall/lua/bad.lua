return {
  cell = function(c)
    while true do
      pcall(function() while true do end end)
    end
  end,
}
