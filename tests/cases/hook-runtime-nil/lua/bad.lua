return {
  cell = function(c)
    local x = nil
    return x.field
  end,
}
