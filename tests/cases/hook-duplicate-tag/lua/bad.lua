return {
  cell = function(c)
    c.tag = "3.13"
  end,
}
