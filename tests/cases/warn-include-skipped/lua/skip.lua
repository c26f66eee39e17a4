return {
  cell = function(c)
    if c.version == "3.6.0" and c.pgo then
      mx.skip(c, "CPython 3.6.0 silently ignores --enable-optimizations")
    end
  end,
}
