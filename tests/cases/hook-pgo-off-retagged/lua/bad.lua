return {
  cell = function(c)
    if c.pgo then
      c.pgo = false
      c.tag = c.version .. "-plain"
      c.aliases = {}
    end
  end,
}
