return {
  cell = function(c)
    mx.add(c.configure, string.format("--with-level=%d", c.version))
  end,
}
