local util = require "util"

return {
  cell = function(c)
    c.base = "debian:trixie-slim"
    util.harden(c)
    table.insert(c.build_args, "EXTRA=1")
    mx.remove(c.configure, "--with-system-expat")
  end,
}
