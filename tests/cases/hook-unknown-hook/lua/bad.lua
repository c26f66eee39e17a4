return {
  cells = function(c) end,
  matrix = 5,
}
