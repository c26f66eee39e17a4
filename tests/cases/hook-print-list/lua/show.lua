return {
  cell = function(c)
    print(c.configure)
    print(c.aliases, c.make_flags)
    print(c)
    print("env: " .. tostring(c.env))
  end,
}
