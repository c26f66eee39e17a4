return {
  cell = function(c)
    local s = ("x"):rep(1 << 20)
    while true do
      s:find("y", 1, true)
    end
  end,
}
