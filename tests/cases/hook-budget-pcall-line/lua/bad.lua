-- a hook that runs out of instructions inside a pcall'd function
local function helper(c)
  return c.version
end

local function other(c)
  return helper(c)
end

return {
  cell = function(c)
    local v = other(c)
    if v == "" then
      return
    end
    local n = 0
    pcall(function() while true do end end)
    n = n + 1
    n = n + 2
    return nil
  end,
}
