return {
  cell = function(c)
    mx.drop_platform(c, "linux/amd64", "no runner")
  end,
}
