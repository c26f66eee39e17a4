-- quirks.lua: what each CPython version's build accepts and needs.
--
-- Every rule is gated by version, because the Dockerfiles configure with
-- --enable-option-checking=fatal: an option a version does not know
-- stops its build. Each rule has a golden test under tests/cases/quirk-*
-- with a version on each side of its boundary. The facts come from the
-- quirks table of the design document; docs/hooks.md explains the API.

-- Debian releases by base image. Run-time packages need no rule per
-- release: the Dockerfile derives them from the built files (ldd and
-- dpkg-query in the builder stage), whatever their names on the release.
local DEBIAN = { bullseye = 11, bookworm = 12, trixie = 13 }

-- The PGO training run for 3.7 and older: the default runs the whole test
-- suite (hours). A short list of tests that exist in 2.7 and 3.x; never
-- empty, since an empty PROFILE_TASK silently disables PGO.
local PROFILE_TASK = "-m test.regrtest --pgo test_array test_base64 "
  .. "test_binascii test_binop test_bisect test_bytes test_bz2 test_cmath "
  .. "test_codecs test_collections test_complex test_datetime test_decimal "
  .. "test_difflib test_float test_functools test_generators test_hashlib "
  .. "test_heapq test_int test_itertools test_json test_long test_math "
  .. "test_memoryview test_operator test_pickle test_pprint test_re "
  .. "test_set test_sqlite test_struct test_time test_unicode "
  .. "test_xml_etree test_xml_etree_c"

-- "debian:bookworm-slim" -> "bookworm", 12; anything else -> nil
local function debian(base)
  local name = base:match("^debian:(%a+)")
  if name and DEBIAN[name] then return name, DEBIAN[name] end
  return nil
end

-- Move a cell from bookworm to another Debian release. Only a bookworm
-- base is moved: a base you chose yourself is yours.
local function move_base(c, release)
  local name = debian(c.base)
  if name ~= "bookworm" then return end
  c.base = c.base:gsub("^debian:bookworm", "debian:" .. release)
end

-- Why PGO cannot be applied to this version, or nil.
local function no_pgo(c)
  if c.major == 2 and mx.below(c, "2.7.13") then
    return "has no --enable-optimizations (PGO needs 2.7.13 or later)"
  end
  if c.major == 3 and mx.below(c, "3.5.3") then
    return "has no --enable-optimizations (PGO needs 3.5.3 or later)"
  end
  if mx.between(c, "3.6.0a1", "3.6.1") then
    return "silently ignores --enable-optimizations (fixed in 3.6.1)"
  end
  return nil
end

-- Why LTO cannot be applied to this version, or nil.
local function no_lto(c)
  if c.major == 2 and mx.below(c, "2.7.14") then
    return "has no usable --with-lto (needs 2.7.14 or later)"
  end
  if c.major == 3 and mx.below(c, "3.6") then
    return "has no usable --with-lto (needs 3.6 or later)"
  end
  return nil
end

-- A variant that promises an optimization the version cannot apply is
-- skipped, never built plain under an -optimized tag.
local function availability(c)
  local why = c.pgo and no_pgo(c)
  if not why and c.lto then why = no_lto(c) end
  if not why and mx.has(c.configure, "--disable-gil") and mx.below(c, "3.13") then
    why = "has no free-threaded build (--disable-gil needs 3.13)"
  end
  if not why and c.pip and c.major == 3 and mx.below(c, "3.4") then
    why = "has no ensurepip (pip needs 3.4 or later)"
  end
  if why then
    mx.skip(c, "CPython " .. c.version .. " " .. why)
  end
  return not why
end

-- ensurepip exists from 2.7.9 and 3.4; older configures reject its flags.
local function ensurepip(c)
  if (c.major == 2 and mx.below(c, "2.7.9")) or mx.between(c, "3.0", "3.4") then
    mx.remove(c.configure, mx.prefixed("--with-ensurepip"))
    mx.remove(c.configure, "--without-ensurepip")
  end
end

-- Configure scripts made by autoconf before 2.64 (3.0 and 3.1) do not
-- know --enable-option-checking; the Dockerfile adds it unless told not to.
local function option_checking(c)
  if mx.between(c, "3.0", "3.2") then
    mx.add(c.configure, "--disable-option-checking")
  end
end

-- ssl does not build against OpenSSL 3 before 3.7: use bullseye (1.1.1).
local function openssl(c)
  if c.major == 2 or mx.below(c, "3.7") then
    move_base(c, "bullseye")
  end
end

-- 3.13 prefers the system libmpdec; 3.15 no longer bundles one, so it
-- needs a base that has libmpdec-dev (bookworm does not: trixie).
local HAS_LIBMPDEC = { [11] = true, [13] = true }
local function libmpdec(c)
  if mx.below(c, "3.13") then return end
  if mx.at_least(c, "3.15.0a1") then move_base(c, "trixie") end
  local _, release = debian(c.base)
  if release and HAS_LIBMPDEC[release] then
    mx.add(c.build_packages, "libmpdec-dev")
    mx.add(c.configure, "--with-system-libmpdec")
  end
end

-- 3.14 adds compression.zstd.
local function zstd(c)
  if mx.at_least(c, "3.14.0a1") then
    mx.add(c.build_packages, "libzstd-dev")
  end
end

local function profile_task(c)
  if c.pgo and mx.below(c, "3.8") then
    mx.setenv(c.make_flags, "PROFILE_TASK", PROFILE_TASK)
  end
end

-- --with-system-ffi is needed before 3.7 and ignored with a warning after.
local function system_ffi(c)
  if mx.below(c, "3.7") then
    mx.add(c.configure, "--with-system-ffi")
  else
    mx.remove(c.configure, "--with-system-ffi")
  end
end

-- sqlite3 extension loading, as the official images; 3.2 added the flag.
local function sqlite_extensions(c)
  if mx.at_least(c, "3.2") then
    mx.add(c.configure, "--enable-loadable-sqlite-extensions")
  end
end

-- Before 3.13 (PEP 538 coercion aside) the C locale breaks UTF-8 I/O.
local function lang(c)
  if mx.below(c, "3.13") then
    mx.setenv(c.env, "LANG", "C.UTF-8")
  end
end

-- Frame pointers from 3.12, for perf and the profilers that rely on them.
local function frame_pointers(c)
  if mx.below(c, "3.12") then return end
  local flag = "-fno-omit-frame-pointer"
  -- CFLAGS=... is a NAME=value entry: extend the one a variant set
  local cflags = mx.getenv(c.configure, "CFLAGS")
  if not cflags then
    mx.add(c.configure, "CFLAGS=" .. flag)
  elseif not cflags:find(flag, 1, true) then
    mx.setenv(c.configure, "CFLAGS", cflags .. " " .. flag)
  end
end

-- Debian bookworm's expat 2.5.0 carries a backported change that makes
-- pyexpat.version_info misreport, which test_xml_etree checks in the
-- profile run; from 3.13 a failing profile run fails the build: use the
-- bundled expat there, for every version from 3.13 until a release is
-- known to cope with it.
local function expat(c)
  if mx.at_least(c, "3.13.0a1") and c.pgo and debian(c.base) == "bookworm" then
    mx.remove(c.configure, "--with-system-expat")
  end
end

return {
  cell = function(c)
    if not availability(c) then return end
    ensurepip(c)
    option_checking(c)
    openssl(c)
    libmpdec(c)
    zstd(c)
    profile_task(c)
    system_ffi(c)
    sqlite_extensions(c)
    lang(c)
    frame_pointers(c)
    expat(c)
  end,
}
