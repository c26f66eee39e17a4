local M = {}

function M.harden(c)
  mx.add(c.configure, "--with-lto=thin")
  mx.setenv(c.env, "PYTHONDONTWRITEBYTECODE", "1")
end

return M
