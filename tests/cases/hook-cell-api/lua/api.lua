local function names(c)
  local out = {}
  for k, v in pairs(c) do out[#out + 1] = k .. ":" .. type(v) end
  return table.concat(out, " ")
end

return {
  cell = function(c)
    if c.variant ~= "wee" then return end
    print(tostring(c), tostring(c.env), c.env == c.env, #c.configure)
    print(names(c))
    for i, v in pairs(c.configure) do print(i, v) end
    print(table.concat(c.configure, " "), select("#", table.unpack(c.configure)))
    print(mx.getenv(c.configure, "CFLAGS"), mx.version(c).series, c.pre == "")
    table.sort(c.configure, function(a, b) return a > b end)
    c.configure[#c.configure] = nil
    mx.setenv(c.env, "A", "2")
    mx.setenv(c.env, "B", "3")
    print(mx.replace(c.configure, "--with-b", "--with-c"), mx.has(c.configure, "--with-c"))
    print(mx.remove(c.configure, function(x) return x:sub(1, 2) == "CF" end))
    local own = {"X=1", "--y"}
    mx.setenv(own, "X", "2")
    mx.replace(own, "--y", "--z")
    mx.add(own, "--z", "--w")
    print(table.concat(own, " "), mx.getenv(own, "X"), mx.remove(own, mx.prefixed("--")))
    mx.skip(c, "not today")
    print(c.skip)
    c.skip = false
    print(c.skip, table.concat(c.configure, " "), table.concat(c.env, " "))
  end,
  matrix = function(cells)
    print(#cells, mx.compare(cells[1], cells[2]), mx.in_series(cells[1], "3.13"))
  end,
}
