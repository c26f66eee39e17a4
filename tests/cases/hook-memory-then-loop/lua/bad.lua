local s = ("x"):rep(4096)
return {
  cell = function(c)
    local t = {}
    for i = 1, 15000 do t[i] = s .. i end
    t = nil
    local u = {}
    for i = 1, 3000 do u[i] = s .. i end
    while true do end
  end,
}
