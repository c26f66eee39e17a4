local FLAGS = {
  zeta = "--with-zeta", alpha = "--with-alpha", mid = "--with-mid",
  beta = "--with-beta", omega = "--with-omega", gamma = "--with-gamma",
}

return {
  cell = function(c)
    for _, flag in pairs(FLAGS) do
      table.insert(c.configure, flag)
    end
  end,
}
