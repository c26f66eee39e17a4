local t = {alpha=1, beta=2, gamma=3, delta=4, epsilon=5, zeta=6, eta=7, theta=8}
return { cell = function(c)
  c.base = "debian:" .. next(t)
end }
