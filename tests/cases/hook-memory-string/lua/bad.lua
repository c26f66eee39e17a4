return {
  cell = function(c)
    local s = string.rep("x", 1 << 30)
    c.tag = s
  end,
}
