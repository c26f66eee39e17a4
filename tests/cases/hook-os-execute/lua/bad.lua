return {
  cell = function(c)
    os.execute("touch /tmp/pwned")
  end,
}
