return {
  cell = function(c)
    local t = {}
    for i = 1, 400000 do t[i] = {i} end
    t = nil
    local s = {}
    for i = 1, 400000 do s[i] = string.format("%080d", i) end
    mx.setenv(c.env, "FILLED", tostring(#s))
  end,
}
