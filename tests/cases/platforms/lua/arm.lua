return {
  cell = function(c)
    if c.series == "3.12" then
      mx.drop_platform(c, "linux/arm64", "3.12 images stay amd64-only")
    end
  end,
}
