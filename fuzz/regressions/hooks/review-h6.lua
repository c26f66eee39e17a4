return { cell = function(c)
  table.move({}, 1, 1 << 50, 1, {})
end }
