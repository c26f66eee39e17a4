return {
  cell = function(c)
    local s = string.rep("a", 3000) .. "c"
    return s:find(".-.-.-.-b")
  end,
}
