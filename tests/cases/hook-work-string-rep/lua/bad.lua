return {
  cell = function(c)
    local s = string.rep("", 1e15)
  end,
}
