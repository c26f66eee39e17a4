assert(rawget(_ENV, "helper") == nil and rawget(_ENV, "mx") == mx)
-- every environment starts with the same names, whatever ran before
assert(rawget(_ENV, "math") == nil and math.floor(2.5) == 2)
return {
  cell = function(c)
    mx.add(c.configure, "--from-b")
    print("b sees", type(print), type(mx.add))
  end,
}
