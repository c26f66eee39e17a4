#!/bin/sh
# Hostile input beyond what the golden cases show (tests/cases/hostile-*,
# limit-* hold the rejections with their exact messages):
#   - limits that need big inputs: file size, billion laughs in bounded time
#     and memory, very deep nesting, node count;
#   - values that are accepted but must stay inert, read back by the real
#     consumers: dockerfile-ast (dockerfile-utils' parser) for ENV and ARG,
#     /bin/sh for the configure RUN line, make for the Makefile, a YAML 1.1
#     parser (GitLab reads YAML 1.1) for the CI file;
#   - paths: symlinks inside and as the output directory, manifest entries
#     outside it, files matrixc does not own.
: "${MATRIXC:?MATRIXC is the matrixc binary}"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
cases=$here/cases
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT


# run DIR ARGS...: matrixc in DIR, status in $st, stderr in $tmp/err
run() {
	d=$1
	shift
	(cd "$d" && NO_COLOR=1 "$MATRIXC" "$@" >"$tmp/out" 2>"$tmp/err")
	st=$?
}

# expect_error STATUS REGEX TITLE: the last run's status and first line
expect_error() {
	ok=0
	[ "$st" = "$1" ] || { echo "# exit status $st, want $1"; ok=1; }
	head -1 "$tmp/err" | grep -Eq "$2" || { sed 's/^/# /' "$tmp/err" | head -5 | cut -c1-200; ok=1; }
	result $ok "$3"
}

# case_copy NAME DIR: the input files of a golden case
case_copy() {
	rm -rf "$2" && mkdir -p "$2"
	cp "$cases/$1/matrix.yaml" "$2/"
	[ -f "$cases/$1/matrix.lock.json" ] && cp "$cases/$1/matrix.lock.json" "$2/"
	[ -d "$cases/$1/lua" ] && cp -RL "$cases/$1/lua" "$2/"
	return 0
}

# timed DIR ARGS...: like run, under `timeout 300` (should a bound fail,
# the test fails in minutes rather than hang for hours), measured by GNU
# time (Debian's package time, installed by `make test-deps`; $GNU_TIME
# overrides its path): sets $secs (wall), $cpu_secs (user and system: the
# machine may be busy, so wall-clock time says little of a bound in CPU
# time) and $rss_mb (peak RSS of matrixc itself). When GNU time is missing
# or fails they stay empty, and `measured` fails the check: a run that was
# not measured never counts as within bounds. In a sanitizer build it
# runs with a 16 MiB quarantine, not ASan's 256 MiB: freed blocks wait
# there before they are reused, so a hook that allocates its 1.3 GB (the
# budget's worth) would measure mostly fresh pages and the sanitizer's
# bookkeeping of them, not what matrixc spends and keeps.
GNU_TIME=${GNU_TIME:-/usr/bin/time}
timed() {
	d=$1
	shift
	secs='' cpu_secs='' rss_mb=''
	rm -f "$tmp/timing"
	(cd "$d" && ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16" \
		NO_COLOR=1 timeout 300 "$GNU_TIME" -f 'measured %e %U %S %M' \
		-o "$tmp/timing" "$MATRIXC" "$@" >"$tmp/out" 2>"$tmp/err")
	st=$?
	# the last line; GNU time writes "Command exited with non-zero
	# status N" or "Command terminated by signal N" above it
	# shellcheck disable=SC2046 # split into its five words
	set -- $(tail -n 1 "$tmp/timing" 2>/dev/null)
	if [ "$1" = measured ] && [ $# = 5 ]; then
		secs=$2
		cpu_secs=$(awk -v u="$3" -v s="$4" 'BEGIN { printf "%.1f", u + s }')
		rss_mb=$(($5 / 1024))
	else
		echo "# not measured: $GNU_TIME -f ... failed (is GNU time installed? make test-deps)"
	fi
}

# measured TITLE: the last timed run was measured; else a failure titled
# TITLE, and false
measured() {
	[ -n "$secs" ] && [ -n "$rss_mb" ] && return 0
	result 1 "$1 (not measured: no GNU time at $GNU_TIME)"
	return 1
}

# --- limits ---------------------------------------------------------------

w=$tmp/size
case_copy minimal "$w"
{ cat "$w/matrix.yaml"; awk 'BEGIN { for (i = 0; i < 45000; i++) printf "# %096d\n", i }'; } >"$w/big.yaml"
mv "$w/big.yaml" "$w/matrix.yaml"
run "$w" generate
expect_error 2 '^matrix\.yaml:[0-9]+:[0-9]+: error: file is larger than 4194304 bytes' \
	"a matrix.yaml over 4 MiB: file:line:col error, exit 2"
[ ! -e "$w/generated" ]; result $? "nothing written for an oversized matrix.yaml"

case_copy minimal "$w"
{ cat "$w/matrix.lock.json"; awk 'BEGIN { for (i = 0; i < 45000; i++) printf "%098d\n", 0 }'; } >"$w/big.json"
mv "$w/big.json" "$w/matrix.lock.json"
run "$w" generate
expect_error 2 '^matrix\.lock\.json:[0-9]+:[0-9]+: error: file is larger than 4194304 bytes' \
	"a lock file over 4 MiB: file:line:col error, exit 2"

case_copy minimal "$w"
mkdir -p "$w/lua"
echo 'hooks: [lua/big.lua]' >>"$w/matrix.yaml"
awk 'BEGIN { for (i = 0; i < 45000; i++) printf "-- %096d\n", i; print "return {}" }' >"$w/lua/big.lua"
run "$w" generate
expect_error 2 '^matrix\.yaml:[0-9]+:[0-9]+: error: hook file is larger than 4 MiB' \
	"a hook over 4 MiB: file:line:col error (where it is listed), exit 2"

# Thirty levels of ten aliases each: 10^30 nodes once expanded.
w=$tmp/laughs
mkdir -p "$w"
awk 'BEGIN {
	print "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"
	for (i = 1; i < 30; i++) {
		printf "a%d: &a%d [", i, i
		for (j = 0; j < 10; j++) printf "%s*a%d", (j ? ", " : ""), i - 1
		print "]"
	}
}' >"$w/matrix.yaml"
timed "$w" generate
expect_error 2 '^matrix\.yaml:[0-9]+:[0-9]+: error: document too large: more than 200000 nodes after expanding aliases' \
	"billion laughs (10^30 nodes): positioned error, exit 2"
t="billion laughs rejected in bounded time and memory"
if measured "$t"; then
	awk -v s="$secs" -v m="$rss_mb" 'BEGIN { exit !(s < 2 && m < 400) }'
	result $? "$t (${secs}s, ${rss_mb} MB peak; under 2 s and 400 MB)"
fi

# One anchor of 5000 items (5 lists of 1000: a list holds at most 1000)
# referred to 100 times: quadratic, not exponential.
awk 'BEGIN {
	printf "big: &big ["
	for (j = 0; j < 5; j++) {
		printf "%s[", (j ? ", " : "")
		for (i = 0; i < 1000; i++) printf "%sx", (i ? ", " : "")
		printf "]"
	}
	print "]"
	printf "refs: ["
	for (i = 0; i < 100; i++) printf "%s*big", (i ? ", " : "")
	print "]"
}' >"$w/matrix.yaml"
run "$w" generate
expect_error 2 '^matrix\.yaml:[0-9]+:[0-9]+: error: document too large' \
	"many aliases of one big anchor: rejected by the node count"

# 100000 nested lists: the loader stops at depth 64 without recursing on.
awk 'BEGIN { printf "x: "; for (i = 0; i < 100000; i++) printf "["; for (i = 0; i < 100000; i++) printf "]"; print "" }' >"$w/matrix.yaml"
timed "$w" generate
expect_error 2 '^matrix\.yaml:1:[0-9]+: error: nesting deeper than 64 levels' \
	"100000 nested lists: positioned error, exit 2, no stack overflow"

# 300000 scalars in 300 lists: the node cap, not the memory, stops it.
awk 'BEGIN { printf "versions: ["; for (j = 0; j < 300; j++) { printf "%s[", (j ? "," : ""); for (i = 0; i < 1000; i++) printf "%s1", (i ? "," : ""); printf "]" }; print "]" }' >"$w/matrix.yaml"
timed "$w" generate
expect_error 2 '^matrix\.yaml:1:[0-9]+: error: document too large' \
	"300000 scalars: rejected by the node count"

# 300000 scalars in one list: the entry cap stops it at the 1001st.
awk 'BEGIN { printf "versions: ["; for (i = 0; i < 300000; i++) printf "%s1", (i ? "," : ""); print "]" }' >"$w/matrix.yaml"
run "$w" generate
expect_error 2 '^matrix\.yaml:1:2012: error: more than 1000 entries in the list that starts at line 1$' \
	"300000 scalars in one list: rejected at the 1001st entry"

# --- values that are accepted must stay inert -----------------------------

for c in env hook; do
	exp=$cases/hostile-$c-inert/expected
	df=$exp/3.13.14/wee/Dockerfile
	want=$here/hostile/$c-inert.json
	if [ -z "$TOOLS" ] || ! command -v node >/dev/null; then
		skip "hostile-$c-inert: Dockerfile values (no TOOLS or node)"
		skip "hostile-$c-inert: configure line under sh (no TOOLS or node)"
		continue
	fi
	out=$(TOOLS=$TOOLS node "$here/hostile/dockerfile.js" values "$df" "$want" 2>&1)
	st=$?
	[ -z "$out" ] || echo "$out"
	result $st "hostile-$c-inert: dockerfile-ast reads every ENV and ARG value back exactly, \$ escaped"

	# The configure RUN line under sh, with ./configure and make replaced
	# by stubs that print their arguments: each hostile flag must arrive
	# as one argument, unchanged, and nothing may run.
	sb=$tmp/sh-$c
	mkdir -p "$sb/bin"
	# shellcheck disable=SC2016 # the stub's own "$a"
	printf '#!/bin/sh\nfor a; do printf "configure %%s\\n" "$a"; done\n' >"$sb/configure"
	# shellcheck disable=SC2016
	printf '#!/bin/sh\nfor a; do printf "make %%s\\n" "$a"; done\n' >"$sb/bin/make"
	# the hardening flags' and the architecture's sources, and the
	# python binary the step removes before linking it again
	printf '#!/bin/sh\necho -O2\n' >"$sb/bin/dpkg-buildflags"
	printf '#!/bin/sh\necho amd64\n' >"$sb/bin/dpkg"
	: >"$sb/python"
	chmod +x "$sb/configure" "$sb/bin/make" "$sb/bin/dpkg-buildflags" "$sb/bin/dpkg"
	cmd=$(TOOLS=$TOOLS node "$here/hostile/dockerfile.js" run "$df")
	(cd "$sb" && PATH=$sb/bin:$PATH sh -c "$cmd" >"$sb/argv" 2>&1)
	st=$?
	node -e '
		const w = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		for (const f of w.configure) console.log("configure " + f);
		for (const f of w.make) console.log("make " + f);' "$want" >"$sb/want"
	ok=$st
	while IFS= read -r line; do
		grep -qFx -- "$line" "$sb/argv" || { echo "# missing argument: $line"; ok=1; }
	done <"$sb/want"
	[ -z "$(find "$sb" -name pwned)" ] || { echo "# a command ran"; ok=1; }
	result $ok "hostile-$c-inert: sh passes each hostile flag as one literal argument"
done

# make: every target of the Makefile parses, and a full `make push` with a
# stand-in docker runs nothing a value could have smuggled in.
for c in env hook; do
	exp=$cases/hostile-$c-inert/expected
	sb=$tmp/make-$c
	mkdir -p "$sb"
	printf '#!/bin/sh\necho "$*" >>"%s/docker.log"\n' "$sb" >"$sb/docker"
	chmod +x "$sb/docker"
	targets=$(sed -n 's/^\([a-z][A-Za-z0-9_.-]*\):.*/\1/p' "$exp/Makefile" | sort -u)
	# shellcheck disable=SC2086
	(cd "$sb" && make -n -f "$exp/Makefile" $targets >/dev/null 2>&1 &&
		make -s -f "$exp/Makefile" push DOCKER="$sb/docker" REGISTRIES=r.example.com/p >/dev/null 2>&1)
	ok=$?
	[ -z "$(find "$sb" -name pwned)" ] || { echo "# a command ran"; ok=1; }
	! grep -q pwned "$exp/Makefile" || { echo "# a hostile value reached the Makefile"; ok=1; }
	result $ok "hostile-$c-inert: make -n and make push run only docker"
done

# GitLab reads YAML 1.1: yes, null, ~ and 1e3 must stay strings there.
if python3 -c 'import yaml' 2>/dev/null; then
	python3 - "$cases/hostile-env-inert/expected/.gitlab-ci.yml" "$here/hostile/env-inert.json" <<'PY'
import json, sys, yaml
ci = yaml.safe_load(open(sys.argv[1]))
want = json.load(open(sys.argv[2]))["ci_tags"]
# the runner tags are in the hidden jobs that every build: job extends
jobs = [k for k in ci if k.startswith("build:")]
bad = [(j, ci[j].get("extends")) for j in jobs if ci[j].get("extends") != ".matrixc-build"]
bad += [(j, ci[j].get("tags")) for j in (".matrixc-build",) if ci[j].get("tags") != want]
for j, got in bad:
    print("# %s: tags %r" % (j, got))
sys.exit(1 if bad or not jobs else 0)
PY
	result $? "hostile-env-inert: a YAML 1.1 parser reads every runner tag back as the same string"
else
	skip "hostile-env-inert: runner tags under YAML 1.1 (no python3-yaml)"
fi

# --- paths ----------------------------------------------------------------

w=$tmp/paths
outside=$tmp/outside
fresh() { # a generated minimal tree in $w, an empty $outside
	case_copy minimal "$w"
	rm -rf "$outside" && mkdir -p "$outside"
	run "$w" generate
}

fresh
rm -rf "$w/generated/3.13.14"
ln -s "$outside" "$w/generated/3.13.14"
run "$w" generate
ok=0
[ "$st" = 3 ] || { echo "# exit status $st, want 3"; ok=1; }
grep -q 'refusing to write through a symlink' "$tmp/err" || { sed 's/^/# /' "$tmp/err"; ok=1; }
[ -z "$(ls -A "$outside")" ] || { echo "# written outside:"; ls -A "$outside" | sed 's/^/#   /'; ok=1; }
result $ok "a directory symlink inside generated/ is not followed: exit 3, nothing written outside"
run "$w" check
[ "$st" = 1 ]; result $? "check through that symlink reports stale (exit $st), reading nothing outside"

# check compares each file as soon as it is made (outdir_check_early):
# the copies behind a symlinked directory are up to date, and must not
# count as generated/'s own
fresh
cp -R "$w/generated/3.13.14/." "$outside/"
rm -rf "$w/generated/3.13.14"
ln -s "$outside" "$w/generated/3.13.14"
run "$w" check
[ "$st" = 1 ]; result $? "check through a symlinked directory of up-to-date copies reports stale (exit $st)"

fresh
echo 'precious' >"$outside/victim"
rm "$w/generated/Makefile"
ln -s "$outside/victim" "$w/generated/Makefile"
run "$w" generate
ok=0
[ "$st" = 0 ] || { echo "# exit status $st"; ok=1; }
[ "$(cat "$outside/victim")" = precious ] || { echo "# the symlink's target was written"; ok=1; }
[ -f "$w/generated/Makefile" ] && [ ! -L "$w/generated/Makefile" ] || { echo "# Makefile is not a regular file"; ok=1; }
result $ok "a file symlink inside generated/ is replaced, its target untouched"

fresh
echo 'precious' >"$outside/victim"
rm "$w/generated/.matrixc-manifest"
ln -s "$outside/victim" "$w/generated/.matrixc-manifest"
run "$w" generate
ok=0
[ "$st" = 0 ] && [ "$(cat "$outside/victim")" = precious ] && [ ! -L "$w/generated/.matrixc-manifest" ] || ok=1
result $ok "a symlinked manifest is neither read nor written through"

# Stale files: only manifest entries, never through a symlink, never
# anything outside, never what matrixc did not write.
fresh
mkdir -p "$outside/wee" "$w/generated/3.12.13"
echo 'precious' >"$outside/wee/Dockerfile"
echo 'precious' >"$outside/victim"
echo 'mine' >"$w/generated/notes.txt"
echo 'mine' >"$w/generated/3.13.14/keep"
ln -s "$outside" "$w/generated/3.9.1"
{
	cat "$w/generated/.matrixc-manifest"
	echo '3.9.1/wee/Dockerfile'
	echo "$outside/victim"
	echo '../outside/victim'
	echo '3.13.14/../../../outside/victim'
	echo 'notes.txt/../../outside/victim'
} >"$w/manifest" && mv "$w/manifest" "$w/generated/.matrixc-manifest"
run "$w" generate
ok=0
[ "$st" = 0 ] || { echo "# exit status $st"; sed 's/^/# /' "$tmp/err"; ok=1; }
for f in "$outside/wee/Dockerfile" "$outside/victim" "$w/generated/notes.txt" "$w/generated/3.13.14/keep"; do
	[ -f "$f" ] || { echo "# deleted: $f"; ok=1; }
done
grep -q '3.9.1\|outside' "$w/generated/.matrixc-manifest" && { echo "# hostile entries kept in the manifest"; ok=1; }
result $ok "stale removal deletes only manifest entries inside generated/, not through symlinks"

# The output directory itself, committed as a symlink.
case_copy minimal "$w"
rm -rf "$outside" && mkdir -p "$outside"
ln -s "$outside" "$w/generated"
run "$w" generate
ok=0
[ "$st" = 3 ] || { echo "# exit status $st, want 3"; ok=1; }
grep -q 'refusing to write through the symlink' "$tmp/err" || { sed 's/^/# /' "$tmp/err"; ok=1; }
[ -z "$(ls -A "$outside")" ] || { echo "# written outside"; ok=1; }
result $ok "an output directory that is a symlink is refused: exit 3, nothing written"
(cd "$w" && "$MATRIXC" generate -q -o "$outside" >/dev/null 2>&1) && [ -f "$outside/Makefile" ]
result $? "what the symlink points to is generated with -o"
run "$w" check
ok=0
[ "$st" = 3 ] || { echo "# exit status $st, want 3"; ok=1; }
grep -q 'refusing to read through the symlink' "$tmp/err" || { sed 's/^/# /' "$tmp/err"; ok=1; }
result $ok "check refuses that symlink too, even when what it points to is up to date: exit 3"
rm "$w/generated"
mkdir -p "$w/gen"
run "$w" generate -o gen
[ "$st" = 0 ] && [ -f "$w/gen/Makefile" ]; result $? "-o still writes where the user says"

# within SECS TITLE: the last timed run took less than SECS seconds of CPU
within() {
	measured "$2" || return
	awk -v s="$cpu_secs" -v m="$1" 'BEGIN { exit !(s < m) }'
	result $? "$2: stopped after ${cpu_secs} s of CPU time (under $1 s)"
}

# The hooks' CPU-time backstop: 2 s, 10 s in a sanitizer build (make asan,
# whose allocator is slower); the watchdog's period is 1 s more.
if nm "$MATRIXC" 2>/dev/null | grep -q __asan_init; then backstop=10; else backstop=2; fi
period=$((backstop + 1))

# A message handler is hook code like any other, bounded by the budget:
# the budget's error is raised from the count hook, where Lua runs no
# hook, and Lua's own xpcall ran the handler right there, unbounded
# until the watchdog ended matrixc a period later. The error names the
# handler's line, and the run takes less CPU time than the backstop (the
# budget runs out far sooner in every build), so less than the watchdog's
# period.
case_copy hook-returns-nothing "$tmp/handler"
handler() { # LINE TITLE, lua/bad.lua written by the caller
	timed "$tmp/handler" check
	expect_error 2 "^lua/bad\.lua:$1: error: instruction budget exceeded" "$2"
	within "$backstop" "$2"
}
cat >"$tmp/handler/lua/bad.lua" <<'LUA'
return {
  cell = function(c)
    xpcall(error, function(m)
      while true do end
    end)
  end,
}
LUA
handler 4 "xpcall with a handler that loops: the budget stops the handler"
# The budget also counts the bytes a hook allocates, 64 to an
# instruction: this handler spends it there, a few instructions per
# 40 KB string (were the bytes not counted, the backstop would stop it).
# Its strings are all of one size, so the allocator reuses their blocks:
# 20,000 of them make the budget's 1.3 GB. A string grown a byte at a
# time, stopped at about 50 KB, allocated that 1.3 GB in blocks each
# larger than any freed before, fresh memory to a sanitizer build's
# allocator: 7 s of CPU time under make asan, 0.1 s in a release build.
# The handler calls no library function that charges its work first
# (string.rep): that would raise the budget's error itself, and stop
# even a handler Lua's own xpcall runs with no hook.
cat >"$tmp/handler/lua/bad.lua" <<'LUA'
local s = ("x"):rep(40000)
return {
  cell = function(c)
    xpcall(error, function(m)
      while true do local t = s .. "x" end
    end)
  end,
}
LUA
handler 5 "xpcall with a handler that allocates 40 KB strings: the budget stops the handler"
cat >"$tmp/handler/lua/bad.lua" <<'LUA'
return {
  cell = function(c)
    pcall(xpcall, error, function(m)
      while true do end
    end)
  end,
}
LUA
handler 4 "pcall(xpcall, error, handler) with a handler that loops: the budget stops it"
cat >"$tmp/handler/lua/bad.lua" <<'LUA'
return {
  matrix = function(cells)
    xpcall(error, function(m)
      while true do end
    end)
  end,
}
LUA
handler 4 "the same handler in a matrix hook: the budget stops it"
cat >"$tmp/handler/lua/bad.lua" <<'LUA'
return {
  cell = function(c)
    local ok, err = xpcall(error, function(m) return "handled: " .. m end, "boom")
    assert(not ok and err == "handled: boom", err)
    local ok2, a, b = xpcall(function(x, y) return x + y, x * y end, error, 2, 3)
    assert(ok2 and a == 5 and b == 6)
    error("xpcall ok")
  end,
}
LUA
timed "$tmp/handler" check
expect_error 2 '^lua/bad\.lua:7: error: xpcall ok' "xpcall still returns the handler's result, or f's results"

# A hook whose every instruction is long (comparing two 1 MiB strings)
# gets no further than the count hook's CPU-time backstop: the budget's
# 20 million instructions would take minutes (more than a minute in a
# release build). The strings are no longer: the backstop's clock starts
# at the first count hook and is read at each, 1000 instructions (200
# comparisons) apart, so with 16 MiB strings, memory-bound and slower
# still under ASan's memcmp, each end of the bound moved by 0.3 s and
# more on a busy machine (10.7 s to 11.3 s of CPU time under make asan,
# where 1 MiB takes 10.1 s).
# MATRIXC_HOOK_CPU_SECONDS is a knob of test builds only (-DMATRIXC_FAULTS):
# this matrixc ignores it.
case_copy hook-returns-nothing "$tmp/slow"
cat >"$tmp/slow/lua/bad.lua" <<'LUA'
return {
  cell = function(c)
    local a = "x"
    for _ = 1, 20 do a = a .. a end
    local b = a:sub(1, -2) .. "x"
    while true do local same = a == b end
  end,
}
LUA
MATRIXC_HOOK_CPU_SECONDS=1 timed "$tmp/slow" check
expect_error 2 "lua/bad.lua:6: error: hook ran for more than $backstop s of CPU time" \
	"a hook slow inside each instruction (comparing 1 MiB strings) is stopped by the CPU-time backstop"
within $((backstop + 4)) "comparing 1 MiB strings"
fbin=$here/../build/faults/matrixc
if [ -x "$fbin" ]; then
	(cd "$tmp/slow" && MATRIXC_HOOK_CPU_SECONDS=1 NO_COLOR=1 timeout 60 "$fbin" check >"$tmp/out" 2>"$tmp/err")
	st=$?
	expect_error 2 'lua/bad.lua:6: error: hook ran for more than 1 s of CPU time' \
		"a test build (-DMATRIXC_FAULTS) takes MATRIXC_HOOK_CPU_SECONDS"
else
	skip "MATRIXC_HOOK_CPU_SECONDS in a test build (no build/faults/matrixc: tests/faults.t builds it)"
fi

# What a hook makes matrixc keep outside the Lua state's memory cap must
# be bounded too: print's notes past diag's cap, and a module that fails
# to load, retried (each retry once read the 4 MiB file and kept a copy).
# The peak is matrixc's own, measured by GNU time (timed).
case_copy hook-returns-nothing "$tmp/mem"
# peak STATUS TITLE: the last timed run's peak is under 150 MB, its status
# STATUS
peak() {
	measured "$2" || return
	awk -v m="$rss_mb" -v st="$st" -v want="$1" 'BEGIN { exit !(m < 150 && st == want) }'
	result $? "$2: ${rss_mb} MB peak (under 150), status $st"
}
cat >"$tmp/mem/lua/bad.lua" <<'LUA'
local s = ("x"):rep(400)
return {
  cell = function(c)
    for _ = 1, 400000 do print(s) end
  end,
}
LUA
timed "$tmp/mem" check
# status 1: the hook ran to its end, and generated/ does not exist yet
peak 1 "800,000 prints of 400 bytes"

{ printf '@'; awk 'BEGIN { for (i = 0; i < 40000; i++) printf "%0100d", 0 }'; } >"$tmp/mem/lua/broken.lua"
cat >"$tmp/mem/lua/bad.lua" <<'LUA'
for _ = 1, 100 do assert(not pcall(require, "broken")) end
return {}
LUA
timed "$tmp/mem" generate
peak 0 "a 4 MB module that fails to load, required 100 times"

# Steps that neither the budget nor the backstop can see, since they run
# inside one C call: the watchdog (watchdog.h) ends matrixc once one has
# run for a whole period, the backstop plus 1 s of CPU time (3 s), exit 2,
# with a message, within a period and a quarter.
case_copy hook-returns-nothing "$tmp/dog"
cat >"$tmp/dog/lua/bad.lua" <<'LUA'
-- a chain of weak-keyed entries, in an order unrelated to the hash: the
-- collector's cycle over it is quadratic in its length (minutes)
local n = 40000
local keys = {}
for i = 1, n do keys[i] = {} end
local s = 12345
for i = n, 2, -1 do
  s = (s * 1103515245 + 12345) % 2147483648
  local j = s % i + 1
  keys[i], keys[j] = keys[j], keys[i]
end
local t = setmetatable({}, {__mode = "k"})
for i = 1, n - 1 do t[keys[i]] = keys[i + 1] end
local head = keys[1]
keys = nil
return { cell = function(c) local _ = head, t end }
LUA
dog() {
	timed "$tmp/dog" generate
	expect_error 2 "^lua/bad\.lua: error: $1 ran for more than $period s of CPU time in one step that no limit can stop" "$2"
	[ ! -e "$tmp/dog/generated" ]; result $? "$2: nothing written"
	within $((period * 5 / 4 + 3)) "$2"
}
if [ "$backstop" = 2 ]; then
	dog "a hook file's main chunk" "a collector cycle over 40,000 chained weak keys: stopped by the watchdog"
else # the cycle takes about 6 s: under the sanitizer build's period
	for t in "" ": nothing written" ": CPU time"; do
		skip "a collector cycle over 40,000 chained weak keys$t (a sanitizer build's watchdog waits $period s)"
	done
fi

# the Lua compiler's jump lists make a long if ... elseif chain quadratic
echo 'local f = load("local a = false if a then " .. ("elseif a then "):rep(700000) .. "end") return {}' \
	>"$tmp/dog/lua/bad.lua"
dog "a hook file's main chunk" "load() of a 700,000-branch elseif chain: stopped by the watchdog"
awk 'BEGIN { print "local a = false if a then"; for (i = 0; i < 200000; i++) print "elseif a then"; print "end return {}" }' \
	>"$tmp/dog/lua/bad.lua"
dog "compiling the hook file" "a hook file with a 200,000-branch elseif chain: stopped by the watchdog"

tap_done
