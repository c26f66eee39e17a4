return {
  cell = function(c)
    local s = "x"
    for _ = 1, 40 do s = s .. s end
    c.tag = s
  end,
}
