---@meta
-- Type definitions of the matrixc hook API for the Lua language server
-- (LuaLS / sumneko). Never loaded by matrixc: it only teaches your editor
-- what a hook receives, so that it completes fields and flags mistakes.
-- Reference: docs/hooks.md.

---A list of strings. Stores are checked (strings only, no holes) and each
---new entry remembers the hook line that added it.
---@alias mx.list string[]

---One image build: a version in a variant, after matrix.yaml's defaults.
---Reading or writing a field that does not exist is an error.
---@class mx.cell
---@field version string        # read-only: "3.13.5", "3.15.0b4"
---@field major integer         # read-only: 3
---@field minor integer         # read-only: 13
---@field patch integer         # read-only: 5
---@field pre string            # read-only: "" for a final release, else "b4", "rc1"
---@field series string         # read-only: "3.13"
---@field spec string           # read-only: the versions entry it came from: "3.13"
---@field variant string        # read-only: "wee-optimized"
---@field pgo boolean           # profile-guided optimization (--enable-optimizations follows it)
---@field lto boolean           # link-time optimization (--with-lto follows it)
---@field pip boolean           # install pip
---@field base string           # FROM image of both stages: "debian:bookworm-slim"
---@field url string            # source tarball URL (from the lock file)
---@field sha256 string         # source tarball sha256 (from the lock file)
---@field get_pip_url string|nil    # install pip with this get-pip.py instead of ensurepip
---@field get_pip_sha256 string|nil # its sha256 (required when get_pip_url is set)
---@field configure mx.list     # ./configure arguments
---@field make_flags mx.list    # make arguments: "PROFILE_TASK=..."
---@field env mx.list           # "NAME=value", ENV in both stages
---@field build_args mx.list    # "NAME=value", ARG defaults
---@field build_packages mx.list # Debian packages of the builder stage
---@field run_packages mx.list  # Debian packages of the run-time stage
---@field tag string            # primary tag: "3.13.5-wee"
---@field aliases mx.list       # more tags: "3.13-wee", "3-wee", "latest"
---@field skip string|false     # a reason skips the cell (false: built)
---@field platforms mx.list     # "linux/amd64", "linux/arm64": one image each

---What a hook file returns.
---@class mx.hooks
---@field cell? fun(c: mx.cell)           # once per cell not skipped, after defaults
---@field matrix? fun(cells: mx.cell[])   # once, after every cell hook, with every cell

---The helper library, a global in every hook file.
---@class mx
mx = {}

---Compare two versions (a cell or a string such as "3.13" or "3.13.5"):
----1, 0 or 1. A series compares as its .0 final release.
---@param a mx.cell|string
---@param b mx.cell|string
---@return integer
function mx.compare(a, b) end

---v >= s ("3.6" is 3.6.0 final, so 3.6.0b1 is below it).
---@param v mx.cell|string
---@param s string
---@return boolean
function mx.at_least(v, s) end

---v < s.
---@param v mx.cell|string
---@param s string
---@return boolean
function mx.below(v, s) end

---lo <= v < hi.
---@param v mx.cell|string
---@param lo string
---@param hi string
---@return boolean
function mx.between(v, lo, hi) end

---v belongs to series s ("3.13").
---@param v mx.cell|string
---@param s string
---@return boolean
function mx.in_series(v, s) end

---The parts of a version.
---@param v mx.cell|string
---@return {major: integer, minor: integer, patch: integer, pre: string, series: string}
function mx.version(v) end

---Is x in the list?
---@param l mx.list
---@param x string
---@return boolean
function mx.has(l, x) end

---Append each value that is not already in the list; returns the list.
---@param l mx.list
---@param ... string
---@return mx.list
function mx.add(l, ...) end

---Remove every entry equal to x, or every entry for which x(entry) is
---true; returns how many were removed.
---@param l mx.list
---@param x string|fun(entry: string): boolean
---@return integer
function mx.remove(l, x) end

---A predicate for mx.remove: entries that start with prefix.
---@param prefix string
---@return fun(entry: string): boolean
function mx.prefixed(prefix) end

---Replace every entry equal to old by new; true if any was replaced.
---@param l mx.list
---@param old string
---@param new string
---@return boolean
function mx.replace(l, old, new) end

---The value of NAME in a NAME=value list (env, build_args, make_flags).
---@param l mx.list
---@param name string
---@return string|nil
function mx.getenv(l, name) end

---Set NAME=value in a NAME=value list, replacing an existing NAME.
---@param l mx.list
---@param name string
---@param value string
---@return mx.list
function mx.setenv(l, name, value) end

---Skip the cell: it is not generated, and `matrixc explain` shows why.
---@param c mx.cell
---@param reason string
function mx.skip(c, reason) end

---Build no image of the cell for platform ("linux/arm64"); `matrixc
---explain` shows why. A cell needs one platform left (else mx.skip it).
---@param c mx.cell
---@param platform string
---@param reason string
---@return boolean # whether the cell had the platform
function mx.drop_platform(c, platform, reason) end

---Iterate a table in sorted key order (numbers, then strings, then
---booleans). The global pairs does the same in hooks.
---@generic K, V
---@param t table<K, V>
---@return fun(): K, V
function mx.sorted_pairs(t) end

---Hooks can only require lua/NAME.lua (NAME in [a-z0-9_-]).
---@param name string
---@return any
function require(name) end

-- Not available to hooks: io, os, package, debug, dofile, loadfile,
-- collectgarbage, coroutine, string.dump, math.random, math.randomseed.
-- load() takes text chunks only. print() becomes a note on stderr.
-- tostring, print and string.format never show addresses (no %p).
