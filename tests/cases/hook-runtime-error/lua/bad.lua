local function flags_for(c)
  return c.no_such_list
end

return {
  cell = function(c)
    flags_for(c)
  end,
}
