return {
  cell = function(c)
    if c.pgo then mx.add(c.configure, FLAG) end
  end,
}
