return {
  cell = function(c)
    mx.add(c.configure, "--with lto")
    mx.add(c.build_packages, "libFoo-dev")
    if c.series == "3.10" and c.pgo then
      mx.add(c.run_packages, "libssl 3")
    end
  end,
}
