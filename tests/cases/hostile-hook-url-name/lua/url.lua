return {
  cell = function(c)
    c.url = "https://example.com/x/--checkpoint-action=exec=id"
  end,
}
