return {
  cell = function(c)
    while true do
      pcall(function() while truj do end end)
    end
  end,
}
