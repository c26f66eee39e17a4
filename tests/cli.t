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

# stray arguments and options: exit 2, the error and the command's synopsis
# (run from an empty directory: nothing may be read or written)
mkdir "$tmp/empty"
for args in "generate extra-arg" "check --source x" "explain 3.13/wee --all" \
	"explain" "explain a b" "list extra" "list -q" "-q check" "generate --json" \
	"generate --diff-lines 5" "update -o out" "init -f m.yaml" "init a b" \
	"list --keep-going" "generate --prune" "check --trust-unverified"; do
	# shellcheck disable=SC2086 # a word list by design
	(cd "$tmp/empty" && "$MATRIXC" $args >"$tmp/usage.out" 2>"$tmp/usage.err")
	st=$?
	cmd=$(echo "$args" | sed 's/^-q //; s/ .*//')
	[ $st -eq 2 ] && [ ! -s "$tmp/usage.out" ] && [ "$(wc -l <"$tmp/usage.err")" -eq 2 ] &&
		head -1 "$tmp/usage.err" | grep -q '^matrixc: error: ' &&
		sed -n 2p "$tmp/usage.err" | grep -q "^usage: matrixc $cmd " &&
		[ -z "$(ls -A "$tmp/empty")" ]
	ok=$?
	result $ok "'matrixc $args' is a usage error (exit $st)" "$tmp/usage.err"
done

# colour: only on a terminal, never with NO_COLOR
cp -RL "$here/cases/warn-exclude-matches-nothing" "$tmp/warn"
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
cp -RL "$here/cases/excludes-includes" "$tmp/ei" && cd "$tmp/ei" && rm -rf expected
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
# check compares each file without an fstat (a read of one byte more
# than it expects shows a longer file): every kind of edit is stale
good=$tmp/Makefile.good && export good
cp generated/Makefile "$good"
for edit in "printf x >>generated/Makefile" \
	"head -c 70000 /dev/zero >>generated/Makefile" \
	'head -c -1 "$good" >generated/Makefile' \
	"sed '3s/./X/' \"\$good\" >generated/Makefile" \
	": >generated/Makefile" \
	"rm generated/Makefile && mkdir generated/Makefile"; do
	sh -c "$edit" && "$MATRIXC" check >/dev/null 2>&1
	st=$?
	rm -rf generated/Makefile && cp "$good" generated/Makefile
	[ $st -eq 1 ]
	result $? "check finds the Makefile stale after: $edit (exit $st)"
done
"$MATRIXC" check
result $? "and passes again once it is restored"
ls -a generated generated/* | grep -q '\.tmp\.'
result $((! $?)) "no temporary files are left behind"

# determinism: another directory, another path to the matrix, same bytes
mkdir -p "$tmp/elsewhere/deep" && cp matrix.yaml matrix.lock.json "$tmp/elsewhere/deep/"
(cd "$tmp/elsewhere" && "$MATRIXC" generate -q -f deep/matrix.yaml 2>/dev/null)
diff -r generated "$tmp/elsewhere/deep/generated" >/dev/null
result $? "output does not depend on the working directory or the -f path"
! grep -rq "$tmp" generated
result $? "no absolute paths in generated files"

# check on one pipe (stdout and stderr together, as pre-commit shows it):
# the whole diff first, then the verdict and the fix, each on its own line
mkdir "$tmp/onepipe" && cp -R "$root/matrix.yaml" "$root/matrix.lock.json" "$root/lua" "$tmp/onepipe/"
cd "$tmp/onepipe" || exit 1
"$MATRIXC" check --diff-lines 100000 2>&1 | cat >"$tmp/onepipe.out"
n=$(wc -l <"$tmp/onepipe.out")
ok=0
[ "$(wc -c <"$tmp/onepipe.out")" -gt 65536 ] || ok=1
[ "$(sed -n "$((n - 1))p" "$tmp/onepipe.out")" = "matrixc: generated/ is out of date" ] || ok=1
[ "$(sed -n "${n}p" "$tmp/onepipe.out")" = "matrixc: to update it, run: matrixc generate" ] || ok=1
# every line before them is a diff line
head -n $((n - 2)) "$tmp/onepipe.out" | grep -Eq '^([^-+@ \\]|--[^-]|\+\+[^+]|@[^@])' && ok=1
result $ok "check on one pipe: the diff, then the verdict and the fix" "$tmp/onepipe.out"
# --diff-lines 0: the whole diff, however long, with no line left out
"$MATRIXC" check --diff-lines 0 >"$tmp/nolimit.out" 2>/dev/null
[ $? -eq 1 ] && [ "$(wc -l <"$tmp/nolimit.out")" -gt 1000 ] &&
	! grep -q 'not shown' "$tmp/nolimit.out"
result $? "check --diff-lines 0 shows the whole diff" "$tmp/nolimit.out"

# from a subdirectory, matrix.yaml is found by searching upward, as git
# does, and its relative paths (output, lock, hooks) resolve from its own
# directory: the same bytes as from the top (in a git work tree, as a
# user's matrix is: without one, matrixc warns that it took the matrix's
# directory as the repository root)
mkdir -p "$tmp/up/.git" "$tmp/up/lua" "$tmp/up/docs/deep"
cp "$here/cases/hook-list-ops/matrix.yaml" "$here/cases/hook-list-ops/matrix.lock.json" "$tmp/up/"
cp "$here/cases/hook-list-ops/lua/"*.lua "$tmp/up/lua/"
(cd "$tmp/up/docs/deep" && "$MATRIXC" generate >"$tmp/up.out" 2>"$tmp/up.err")
st=$?
[ $st -eq 0 ] && [ -f "$tmp/up/generated/Makefile" ] && [ ! -e "$tmp/up/docs/deep/generated" ] &&
	grep -q '^matrixc: \.\./\.\./generated: ' "$tmp/up.out" &&
	diff -r "$here/cases/hook-list-ops/expected" "$tmp/up/generated" >/dev/null
result $? "generate in a subdirectory finds ../../matrix.yaml and writes its generated/" "$tmp/up.err"
(cd "$tmp/up/docs/deep" && "$MATRIXC" check && "$MATRIXC" list >/dev/null && "$MATRIXC" explain 3.13/wee >/dev/null) 2>"$tmp/up.err"
[ $? -eq 0 ] && [ ! -s "$tmp/up.err" ]
result $? "check, list and explain work from a subdirectory, with nothing to say" "$tmp/up.err"
sed -i 's/^image: python$/image: python\nbogus: 1/' "$tmp/up/matrix.yaml"
(cd "$tmp/up/docs" && "$MATRIXC" check 2>"$tmp/up.err")
[ $? -eq 2 ] && grep -q '^\.\./matrix\.yaml:[0-9]*:[0-9]*: error: ' "$tmp/up.err"
result $? "an error in a matrix found upward names it as ../matrix.yaml" "$tmp/up.err"
# the search stops at the top of a git work tree
mkdir -p "$tmp/up/inner/.git" "$tmp/up/inner/sub"
(cd "$tmp/up/inner/sub" && "$MATRIXC" list >/dev/null 2>"$tmp/up.err")
[ $? -eq 2 ] && grep -q '^matrix.yaml: error: cannot read' "$tmp/up.err" &&
	grep -q 'no matrix.yaml here nor in a parent directory' "$tmp/up.err"
result $? "the upward search stops at the top of a git work tree" "$tmp/up.err"

# a failed compile writes nothing
cp -RL "$here/cases/err-many" "$tmp/bad" && cd "$tmp/bad"
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
