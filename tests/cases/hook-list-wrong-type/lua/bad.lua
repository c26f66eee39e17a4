return {
  cell = function(c)
    table.insert(c.configure, 3)
  end,
}
