mx = { add = function() error("a's own mx") end }
print = nil
helper = "a's global"
assert(math.floor(1.5) == 1) -- opens math
return {
  cell = function(c)
    assert(rawget(_ENV, "helper") == "a's global")
    assert(not pcall(mx.add, c.configure, "--from-a"))
  end,
}
