return {
  cell = function(c)
    if c.series == "3.12" and c.variant == "wee" then
      mx.add(c.aliases, "3.12-wee-optimized")
    end
  end,
}
