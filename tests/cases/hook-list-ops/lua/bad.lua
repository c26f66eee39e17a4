return {
  cell = function(c)
    mx.add(c.configure, "--with-a", "--with-b", "--with-a")
    mx.replace(c.configure, "--with-b", "--with-c")
    mx.remove(c.configure, mx.prefixed("--with-system"))
    table.insert(c.make_flags, 1, "V=1")
    table.insert(c.run_packages, "tzdata")
    table.remove(c.run_packages, 1)
    mx.setenv(c.env, "A", "1")
    mx.setenv(c.env, "A", "2")
    mx.setenv(c.build_args, "B", mx.getenv(c.env, "A") .. "0")
    table.sort(c.build_packages, function(a, b) return a > b end)
  end,
}
