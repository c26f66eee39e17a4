return {
  cell = function(c)
    table.move({}, 1, 1e12, 1)
  end,
}
