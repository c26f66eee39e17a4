local s = ("x"):rep(100000)
local set = "[" .. ("y"):rep(100000) .. "]"
return {
  cell = function(c)
    return s:find(set)
  end,
}
