#!/bin/sh
# Command-line behaviour that golden cases cannot show: terminals and
# colour, repeated runs, file identity, and the repository's own generated/.
: "${MATRIXC:?MATRIXC is the matrixc binary}"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
root=$(dirname "$here")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
esc=$(printf '\033')

"$MATRIXC" --help | grep -q '^usage: matrixc'
result $? "--help prints usage"
"$MATRIXC" --version | grep -Eq '^matrixc [0-9]+\.[0-9]+\.[0-9]+$'
result $? "--version prints the version"
"$MATRIXC" generate --bogus 2>/dev/null
[ $? -eq 2 ]
result $? "an unknown option exits 2"
"$MATRIXC" 2>/dev/null
[ $? -eq 2 ]
result $? "no command exits 2"

# colour: only on a terminal, never with NO_COLOR
cp -R "$here/cases/warn-exclude-matches-nothing" "$tmp/warn"
rm -rf "$tmp/warn/expected" "$tmp/warn/stderr"
cd "$tmp/warn" || exit 1
if command -v script >/dev/null; then
	script -qec "$MATRIXC generate -q" /dev/null >"$tmp/tty.out" 2>&1
	grep -q "$esc\[" "$tmp/tty.out"
	result $? "diagnostics are coloured on a terminal"
	NO_COLOR=1 script -qec "$MATRIXC generate -q" /dev/null >"$tmp/tty.out" 2>&1
	! grep -q "$esc" "$tmp/tty.out"
	result $? "NO_COLOR turns colour off on a terminal"
else
	skip "script(1) missing"
	skip "script(1) missing"
fi
"$MATRIXC" generate -q 2>"$tmp/pipe.err"
! grep -q "$esc" "$tmp/pipe.err" && grep -q 'warning: this exclude matches no cell' "$tmp/pipe.err"
result $? "no colour when stderr is not a terminal"

# repeated runs
cp -R "$here/cases/excludes-includes" "$tmp/ei" && cd "$tmp/ei" && rm -rf expected
"$MATRIXC" generate >"$tmp/first.out" 2>/dev/null
grep -q ', 0 unchanged, 0 removed$' "$tmp/first.out"
result $? "the first generate writes every file"
before=$(ls -i generated/Makefile)
"$MATRIXC" generate >"$tmp/second.out" 2>/dev/null
grep -q ': 0 written, ' "$tmp/second.out"
result $? "a second generate writes nothing"
[ "$before" = "$(ls -i generated/Makefile)" ]
result $? "an unchanged file is not replaced (same inode)"
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
	strace -f -e trace=open,openat -o "$tmp/opens" "$MATRIXC" generate -q 2>/dev/null
	opened=$(grep -c '\.matrixc-manifest"' "$tmp/opens")
	[ "$opened" -eq 1 ]
	result $? "a generate with nothing to change reads the manifest once (opened $opened times)"
else
	skip "strace missing, or not allowed to trace"
fi
"$MATRIXC" check
result $? "check passes right after generate"
ls -a generated generated/* | grep -q '\.tmp\.'
result $((! $?)) "no temporary files are left behind"

# determinism: another directory, another path to the matrix, same bytes
mkdir -p "$tmp/elsewhere/deep" && cp matrix.yaml matrix.lock.json "$tmp/elsewhere/deep/"
(cd "$tmp/elsewhere" && "$MATRIXC" generate -q -f deep/matrix.yaml 2>/dev/null)
diff -r generated "$tmp/elsewhere/deep/generated" >/dev/null
result $? "output does not depend on the working directory or the -f path"
! grep -rq "$tmp" generated
result $? "no absolute paths in generated files"

# a failed compile writes nothing
cp -R "$here/cases/err-many" "$tmp/bad" && cd "$tmp/bad"
"$MATRIXC" generate 2>/dev/null
[ $? -eq 2 ] && [ ! -e generated ]
result $? "bad input exits 2 and writes nothing"

# the repository's own generated/ is up to date
(cd "$root" && "$MATRIXC" check >"$tmp/self.out" 2>&1)
st=$?
[ $st -eq 0 ] || sed 's/^/# /' "$tmp/self.out" | head -20
result $st "matrixc check passes on this repository's generated/"

# make reads the Makefile without running pkg-config: in `make deps
# generate` on a fresh machine, neither pkg-config nor the -dev packages
# are there yet when it does (tests/fresh/run.sh shows it for real)
mkdir -p "$tmp/bin"
printf '#!/bin/sh\necho "pkg-config $*" >>"%s/pkg-config.log"\n' "$tmp" >"$tmp/bin/pkg-config"
chmod +x "$tmp/bin/pkg-config"
: >"$tmp/pkg-config.log"
PATH=$tmp/bin:$PATH make -n -s -C "$root" deps >/dev/null 2>&1
[ ! -s "$tmp/pkg-config.log" ]
result $? "make reads the Makefile without running pkg-config (make -n deps)" "$tmp/pkg-config.log"

# .ci/run runs the README's Quick start commands verbatim, so that CI
# fails when they fail (tests/fresh/run.sh runs the first on a fresh
# machine)
. "$here/fresh/quickstart.sh"
quickstart_commands "$root/README.md" >"$tmp/readme.cmds"
ci_commands "$root/.ci/run" >"$tmp/ci.cmds"
diff -u --label README.md --label .ci/run "$tmp/readme.cmds" "$tmp/ci.cmds" \
	>"$tmp/cmds.diff"
st=$?
[ -s "$tmp/readme.cmds" ] || { echo "no command in README.md's Quick start" >"$tmp/cmds.diff"; st=1; }
result $st ".ci/run runs the README's Quick start commands: $(paste -sd ';' "$tmp/readme.cmds" | sed 's/;/; /g')" "$tmp/cmds.diff"
tap_done
