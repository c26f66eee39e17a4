-- python2.lua: what Python 2.7 images need (see docs/hooks.md).
--
-- Rules, each with a golden test under tests/cases/quirk-*:
--   * UCS-4 unicode, as every Linux distribution built 2.7
--     (--enable-unicode=ucs4; a 2-byte build breaks manylinux wheels);
--   * pip from the 2.7-specific get-pip.py, since the bundled ensurepip
--     is old and current get-pip no longer runs on 2.7;
--   * PYTHONIOENCODING=UTF-8, as the official images: 2.7 encodes text
--     written to a pipe as ASCII, so print u"caf\u00e9" | cat fails;
--   * never tagged latest: a 2.7 image is never the default python.
-- PGO/LTO availability, OpenSSL 1.1 and the short PGO profile are version
-- rules shared with 3.x and live in quirks.lua.

-- The 2.7 get-pip.py is pinned by its version path only: its sha256 is
-- not recorded here because it could not be measured offline. matrixc
-- refuses to download it unverified, so a variant with `pip: true` on 2.7
-- needs the sha256 set, in a hook of your own listed after this one:
--   c.get_pip_sha256 = "<sha256 of the get-pip.py you reviewed>"
local GET_PIP_URL = "https://bootstrap.pypa.io/pip/2.7/get-pip.py"

local function is_python2(c)
  return c.major == 2
end

-- An alias that names no version: "latest", "latest-wee" and the like.
local function is_latest(alias)
  return alias == "latest" or alias:sub(1, 7) == "latest-"
end

return {
  cell = function(c)
    if not is_python2(c) then return end
    mx.add(c.configure, "--enable-unicode=ucs4")
    mx.setenv(c.env, "PYTHONIOENCODING", "UTF-8")
    if c.pip then
      -- get-pip replaces ensurepip (which only exists from 2.7.9)
      mx.remove(c.configure, "--with-ensurepip=install")
      if mx.at_least(c, "2.7.9") then
        mx.add(c.configure, "--without-ensurepip")
      end
      c.get_pip_url = GET_PIP_URL
    end
  end,

  -- Cross-cell: aliases come from matrix.yaml rules over every cell, so
  -- the rule that 2.7 is never latest is enforced once all are known.
  matrix = function(cells)
    for _, c in ipairs(cells) do
      if is_python2(c) then
        mx.remove(c.aliases, is_latest)
      end
    end
  end,
}
