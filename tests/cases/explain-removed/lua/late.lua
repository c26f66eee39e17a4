return {
  matrix = function(cells)
    for _, c in ipairs(cells) do
      mx.remove(c.build_packages, "uuid-dev")
    end
  end,
}
