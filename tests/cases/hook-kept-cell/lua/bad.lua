-- The first call keeps its cell; the second uses it.
local kept
return {
  cell = function(c)
    if kept then kept.tag = "x" end
    kept = c
  end,
}
