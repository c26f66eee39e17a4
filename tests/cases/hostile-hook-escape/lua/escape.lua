return {
  cell = function(c)
    c.tag = "x\27]0;pwned\7\27[2J\nmatrixc: all good\r"
  end,
}
