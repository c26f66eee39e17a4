return {
  cell = function(c)
    return "3.13-wee"
  end,
}
