return {
  cell = function(c)
    print("a\tb", "c\nmatrixc: all good\27[2J")
    error("bad\nline\7")
  end,
}
