return {
  cell = function(c)
    print("cell", c.version, c.variant, #c.configure)
  end,
}
