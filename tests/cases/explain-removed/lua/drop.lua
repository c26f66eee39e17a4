return {
  cell = function(c)
    mx.remove(c.configure, "--with-system-expat")
    mx.remove(c.configure, function(x) return x:sub(1, 7) == "CFLAGS=" end)
    table.remove(c.configure, 4)
    mx.replace(c.configure, "--with-b", "--with-b2")
    table.sort(c.configure)
    mx.remove(c.configure, "--with-c")
    mx.add(c.configure, "--with-c")
    c.build_packages[#c.build_packages] = nil
    c.env = {"Z=3"}
    c.pgo = false
    c.tag = "3.13.14-wee-plain"
  end,
}
