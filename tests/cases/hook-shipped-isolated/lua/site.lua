local function trap(name)
  return function()
    error("a shipped hook called lua/site.lua's " .. name)
  end
end
mx.add = trap("mx.add")
mx.below = trap("mx.below")
mx.sorted_pairs = trap("mx.sorted_pairs")
string.match = trap("string.match")
string.gsub = trap("string.gsub")
table.sort = trap("table.sort")
-- strings' methods are the library's, whatever string holds
assert(getmetatable("") == false)
string.shout = string.upper
assert(("x").shout == nil and ("debian:trixie"):match("^debian:(%a+)") == "trixie")
return {}
