-- each store fails with its own message, which print shows
local function try(what, f)
  local ok, err = pcall(f)
  print(what .. ": " .. tostring(err))
end
return {
  cell = function(c)
    try("nul", function() c.tag = "a\0b" end)
    try("long", function() c.tag = string.rep("a", 5000) end)
    try("entry", function() mx.add(c.configure, "--x=" .. string.rep("a", 5000)) end)
    try("entry nul", function() c.configure[1] = "--x=\0" end)
    try("reason", function()
      mx.drop_platform(c, "linux/arm64", string.rep("r", 5000))
    end)
  end,
}
