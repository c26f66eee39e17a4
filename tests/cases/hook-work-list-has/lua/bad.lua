return {
  cell = function(c)
    local long = ("x"):rep(1000)
    for i = 1, 990 do c.configure[#c.configure + 1] = long .. i end
    while true do
      mx.has(c.configure, long)
    end
  end,
}
