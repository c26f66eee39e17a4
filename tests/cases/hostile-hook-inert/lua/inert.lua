return {
  cell = function(c)
    mx.add(c.env, "QUOTES=it's \"quoted\" and \\back\\slashed\\")
    mx.add(c.env, "DOLLAR=$HOME ${HOME} $(touch pwned) `touch pwned` $(shell touch pwned)")
    mx.add(c.build_args, "ARGV=a\"b'c\\d$e")
    mx.add(c.configure, "--with-x=$(shell touch pwned); `touch pwned` 'q' \"dq\" \\")
    mx.add(c.make_flags, "PROFILE_TASK=-m test --pgo; touch pwned")
  end,
}
