return {
  cell = function(c)
    local f = io.open("/etc/passwd")
  end,
}
