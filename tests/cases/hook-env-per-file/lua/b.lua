assert(rawget(_ENV, "helper") == nil and rawget(_ENV, "mx") == mx)
return {
  cell = function(c)
    mx.add(c.configure, "--from-b")
    print("b sees", type(print), type(mx.add))
  end,
}
