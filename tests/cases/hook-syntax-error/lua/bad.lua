return {
  cell = function(c)
    if c.pgo then
      c.tag = = "x"
    end
  end,
}
