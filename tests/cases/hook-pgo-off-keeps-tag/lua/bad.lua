return {
  cell = function(c)
    c.pgo = false
  end,
}
