return {
  cell = function(c)
    local t, x = {}, ("x"):rep(4096)
    for i = 1, 1e9 do
      t[i] = x .. i
    end
  end,
}
