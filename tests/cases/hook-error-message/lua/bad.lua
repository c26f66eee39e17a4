return {
  cell = function(c)
    if c.pgo then
      error("PGO is not allowed here")
    end
  end,
}
