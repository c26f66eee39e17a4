return {
  cell = function(c)
    error({ code = 42 })
  end,
}
