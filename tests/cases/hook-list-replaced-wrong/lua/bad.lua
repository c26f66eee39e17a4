return {
  cell = function(c)
    c.aliases = "latest"
  end,
}
