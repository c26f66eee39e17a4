#!/bin/sh
# `matrixc explain --json`: the facts of `explain` (values, where each came
# from, what hooks removed, skipped and excluded cells) as JSON that a tool
# can read; each check parses the output with python3's json.
#
#   MATRIXC=build/matrixc prove tests/explain.t
: "${MATRIXC:?MATRIXC is the matrixc binary}"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# case NAME: a copy of golden case NAME's input in $tmp/NAME
case_copy() {
	cp -RL "$here/cases/$1" "$tmp/$1"
	rm -rf "$tmp/$1/expected" "$tmp/$1/stdout" "$tmp/$1/stderr" "$tmp/$1/status"
}

# check FILE TITLE PYTHON: run PYTHON with the JSON of FILE as j
check() {
	python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
$3
" "$1" >"$tmp/py.err" 2>&1
	result $? "$2" "$tmp/py.err"
}

# a cell that hooks changed: values, provenance, removals
case_copy explain-removed
(cd "$tmp/explain-removed" && "$MATRIXC" explain --json 3.13/wee-optimized >"$tmp/removed.json" 2>"$tmp/removed.err")
[ $? -eq 0 ] && [ ! -s "$tmp/removed.err" ]
result $? "explain --json of a generated cell exits 0, silent" "$tmp/removed.err"
check "$tmp/removed.json" "the cell, its status, Dockerfile and job" '
assert j["cell"] == "3.13.14/wee-optimized", j["cell"]
assert j["status"] == "generated"
assert "skipped" not in j and "excluded" not in j
assert j["dockerfile"] == "3.13.14/wee-optimized/Dockerfile"
assert j["job"] == "build:3.13.14-wee-plain"
assert j["fetches"]["mirror"] == "$PYTHON_MIRROR/3.13.14/Python-3.13.14.tar.xz"'
check "$tmp/removed.json" "scalar values with their provenance (null: a default)" '
f = j["fields"]
assert f["pgo"] == {"value": False, "from": {"file": "lua/drop.lua", "line": 12}}, f["pgo"]
assert f["lto"] == {"value": False, "from": None}, f["lto"]
assert f["tag"] == {"value": "3.13.14-wee-plain", "from": {"file": "lua/drop.lua", "line": 13}}
assert f["base"]["from"] == {"file": "matrix.yaml", "line": 6, "col": 7}, f["base"]
assert f["version"]["value"] == "3.13.14" and f["series"]["value"] == "3.13"
assert f["get_pip_url"] == {"value": None, "from": None}'
check "$tmp/removed.json" "list entries with their provenance" '
e = j["fields"]["configure"]["entries"]
assert [x["value"] for x in e] == ["--enable-shared", "--with-b2", "--with-d", "--without-ensurepip", "--with-c"], e
assert e[1]["from"] == {"file": "lua/drop.lua", "line": 7}
assert e[4]["from"] == {"file": "matrix.yaml", "line": 11, "col": 41}, e[4]
assert e[0]["from"] is None'
check "$tmp/removed.json" "removed entries, each with the hook line that removed it" '
r = {x["value"]: x["by"] for x in j["fields"]["configure"]["removed"]}
assert r == {"--with-system-expat": {"file": "lua/drop.lua", "line": 3},
             "CFLAGS=-O2": {"file": "lua/drop.lua", "line": 4},
             "--with-a": {"file": "lua/drop.lua", "line": 5},
             "--with-b": {"file": "lua/drop.lua", "line": 6},
             "--enable-optimizations": {"file": "lua/drop.lua", "line": 12}}, r
assert j["fields"]["build_packages"]["removed"] == [
    {"value": "zlib1g-dev", "by": {"file": "lua/drop.lua", "line": 10}},
    {"value": "uuid-dev", "by": {"file": "lua/late.lua", "line": 4}}]
assert j["fields"]["make_flags"] == {"entries": [], "removed": []}'

# the same facts as the text: every list entry and removal of the JSON is
# a row of `explain`, with the same provenance
(cd "$tmp/explain-removed" && "$MATRIXC" explain 3.13/wee-optimized >"$tmp/removed.txt")
python3 -c '
import json, re, sys
j = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read().splitlines()
def pos(p):
    if p is None: return "default"
    return ":".join([p["file"]] + [str(p[k]) for k in ("line", "col") if k in p])
want = []
for name, f in sorted(j["fields"].items()):
    if "entries" in f:
        want += [(x["value"], pos(x["from"])) for x in f["entries"]]
        want += [(x["value"], "removed by " + pos(x["by"])) for x in f["removed"]]
    elif f["value"] not in (None, False, True) and name != "series":
        want.append((f["value"], pos(f["from"])))
for v, p in want:
    if not any(re.fullmatch(r"\s+(\w+\s+)?" + re.escape(v) + r"\s+" + re.escape(p), l) for l in text):
        sys.exit("no row %r %r in explain" % (v, p))
' "$tmp/removed.json" "$tmp/removed.txt" >"$tmp/py.err" 2>&1
result $? "every value of the JSON is a row of explain's text, with its provenance" "$tmp/py.err"

# a skipped cell: the reason and the hook line
case_copy quirk-pgo-explain
(cd "$tmp/quirk-pgo-explain" && "$MATRIXC" explain --json 2.7.12/wee-optimized >"$tmp/skipped.json" 2>"$tmp/skipped.err")
result $? "explain --json of a skipped cell exits 0" "$tmp/skipped.err"
check "$tmp/skipped.json" "a skipped cell: status, reason and hook line; no Dockerfile" '
assert j["status"] == "skipped", j["status"]
s = j["skipped"]
assert "needs 2.7.13 or later" in s["reason"], s
assert s["by"]["file"] == "lua/quirks.lua" and s["by"]["line"] > 0, s
assert j["dockerfile"] is None and j["job"] is None
assert j["fields"]["pgo"]["value"] is True'

# an excluded cell: the exclude's position, and explain's exit status
case_copy explain-excluded
(cd "$tmp/explain-excluded" && "$MATRIXC" explain --json 3.11/wee-optimized >"$tmp/excluded.json" 2>"$tmp/excluded.err")
[ $? -eq 2 ] && grep -q "excluded by matrix.yaml:11" "$tmp/excluded.err"
result $? "explain --json of an excluded cell exits 2 with explain's error" "$tmp/excluded.err"
check "$tmp/excluded.json" "an excluded cell: status and the exclude's position" '
assert j == {"cell": "3.11/wee-optimized", "status": "excluded",
             "excluded": {"by": {"file": "matrix.yaml", "line": 11, "col": 5}}}, j'

# no such cell: nothing on standard output
(cd "$tmp/explain-excluded" && "$MATRIXC" explain --json 3.99/wee >"$tmp/none.json" 2>"$tmp/none.err")
[ $? -eq 2 ] && [ ! -s "$tmp/none.json" ] && grep -q "no cell is named '3.99/wee'" "$tmp/none.err"
result $? "explain --json of no cell: exit 2, an error, no JSON" "$tmp/none.err"

tap_done
