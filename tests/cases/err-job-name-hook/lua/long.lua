return {
  cell = function(c)
    if c.pgo then
      c.tag = string.rep("a", 117) .. "-wee"
    end
  end,
}
