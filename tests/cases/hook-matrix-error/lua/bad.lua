return {
  matrix = function(cells)
    for _, c in ipairs(cells) do
      c.aliases = nil
    end
  end,
}
