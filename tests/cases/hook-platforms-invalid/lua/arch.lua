return {
  cell = function(c)
    c.platforms = { "linux/amd64", "linux/aarch64", "linux/amd64", "linux/arm64", "linux/arm64/v8" }
  end,
}
