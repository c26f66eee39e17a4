return {
  cell = function(c)
    c.version = "3.14.0"
  end,
}
