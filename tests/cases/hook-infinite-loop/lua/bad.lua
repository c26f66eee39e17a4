return {
  cell = function(c)
    while true do end
  end,
}
