return {
  cell = function(c)
    if c.get_pip_url then
      c.get_pip_sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
    end
  end,
}
