return {
  cell = function(c)
    c.tag = 5
  end,
}
