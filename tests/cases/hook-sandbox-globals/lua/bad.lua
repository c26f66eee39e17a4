local function absent(name, v)
  if v ~= nil then error(name .. " should not be available") end
end

absent("string.dump", string.dump)
absent("math.random", math.random)
absent("math.randomseed", math.randomseed)
for _, name in ipairs({"os", "io", "debug", "package", "dofile", "loadfile", "collectgarbage", "coroutine"}) do
  local ok = pcall(function() return _ENV[name] end)
  if ok then error(name .. " should not be available") end
end
assert(mx.at_least("3.13.0", "3.13"))
assert(mx.below("3.13.0rc1", "3.13"))
assert(mx.between("3.6.0", "3.6.0a1", "3.6.1"))
assert(mx.in_series("3.13.5", "3.13"))
assert(mx.version("3.15.0b4").pre == "b4")
assert(utf8.len("\u{e9}") == 1)
-- math and utf8 are opened when first named; they are whole but for random
assert(math.floor(2.5) == 2 and math.maxinteger == 0x7fffffffffffffff)
assert(math.type(1) == "integer" and utf8.char(233) == "\u{e9}")
assert(load("return 1 + 1")() == 2)
-- the mx helpers see a hook's own list as ipairs does: up to the first nil
local holes = {"x", nil, "y"}
assert(mx.remove(holes, "y") == 0 and not mx.replace(holes, "y", "z"))
assert(mx.getenv(holes, "y") == nil)
mx.add(holes, "w")
assert(holes[2] == "w" and holes[3] == "y")
-- nothing a hook can print or format holds an address
assert(tostring({}) == "table" and tostring(print) == "function")
assert(string.format("%s-%d %%p", {}, 3) == "table-3 %p")
assert(not pcall(string.format, "%p", {}))
-- patterns work as usual when they are cheap
assert(("debian:bookworm-slim"):match("^debian:(%a+)") == "bookworm")
assert(("x-y"):gsub("-", "_") == "x_y")
assert(("a.b"):find(".", 1, true) == 2)

return {
  cell = function(c)
    assert(mx.at_least(c, "3.13") and c.series == "3.13" and c.major == 3)
    assert(math.max(c.major, c.minor) == 13 and math.random == nil)
    assert(tostring(c) == "cell " .. c.version .. "/" .. c.variant)
  end,
}
