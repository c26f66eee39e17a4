return {
  cell = function(c)
    c.tags = 5
  end,
}
