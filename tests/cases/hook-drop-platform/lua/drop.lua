return {
  cell = function(c)
    -- big builds for amd64 only: a no-op that says false
    assert(not mx.drop_platform(c, "linux/s390x", "not there"))
    if c.variant == "wee" then
      assert(mx.drop_platform(c, "linux/arm64", "no arm64 runner for wee yet"))
    end
  end,
}
