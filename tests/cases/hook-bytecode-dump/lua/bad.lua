return {
  cell = function(c)
    local f = load(string.dump(function() end))
  end,
}
