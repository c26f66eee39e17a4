#!/bin/sh
# The pre-commit integration, with the real pre-commit and this repository's
# .pre-commit-hooks.yaml, in a throwaway git repository: a commit with a
# stale generated/ is blocked and shows the diff; after `matrixc generate`
# the commit goes through.
: "${MATRIXC:?MATRIXC is the matrixc binary}"
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tap.sh"
root=$(dirname "$here")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PRE_COMMIT_HOME="$tmp/cache" PATH="$(dirname "$MATRIXC"):$PATH"

if ! command -v pre-commit >/dev/null; then
	echo "1..0 # SKIP pre-commit is not installed (make test-deps)"
	exit 0
fi
[ "$(basename "$MATRIXC")" = matrixc ] || ln -s "$MATRIXC" "$tmp/matrixc"
export PATH="$tmp:$PATH"

# the hook repository: this project's .pre-commit-hooks.yaml at one commit
mkdir "$tmp/hooks" && cp "$root/.pre-commit-hooks.yaml" "$tmp/hooks/"
(cd "$tmp/hooks" && git init -q -b main && git add -A && git_q commit -m hooks)
rev=$(git -C "$tmp/hooks" rev-parse HEAD)

# the user's repository
mkdir "$tmp/repo" && cd "$tmp/repo" || exit 1
git init -q -b main
cp "$here/cases/minimal/matrix.yaml" "$here/cases/minimal/matrix.lock.json" .
cat >.pre-commit-config.yaml <<YAML
repos:
  - repo: $tmp/hooks
    rev: $rev
    hooks:
      - id: matrixc-check
YAML
matrixc generate -q
git add -A && git_q commit -m "first"
pre-commit install >/dev/null
result $? "pre-commit install"

echo '# a comment' >>matrix.yaml
sed -i 's/^  wee:$/  wee:\n  wee-optimized: { pgo: true }/' matrix.yaml
git add -A
git_q commit -m "stale" >"$tmp/blocked.out" 2>&1
result $((! $?)) "a commit with a stale generated/ is blocked"
grep -q '^+++ generated/3.13.14/wee-optimized/Dockerfile' "$tmp/blocked.out"
result $? "the hook shows the diff"
grep -q 'run: matrixc generate' "$tmp/blocked.out"
result $? "the hook names the command that fixes it"
# pre-commit shows stdout and stderr on one stream: the verdict is a whole
# line after the last line of the diff, followed by the fix
verdict=$(grep -n '^matrixc: generated/ is out of date$' "$tmp/blocked.out" | cut -d: -f1)
last_diff=$(grep -nE '^([-+ @\\]|Only in |\.\.\. )' "$tmp/blocked.out" | tail -1 | cut -d: -f1)
[ -n "$verdict" ] && [ -n "$last_diff" ] && [ "$verdict" -gt "$last_diff" ] &&
	sed -n "$((verdict + 1))p" "$tmp/blocked.out" | grep -q '^matrixc: to update it, run: matrixc generate$'
result $? "the hook shows the whole diff, then the verdict and the fix"
[ "$(git rev-list --count HEAD)" -eq 1 ]
result $? "nothing was committed"

matrixc generate -q && git add -A
git_q commit -m "fresh" >"$tmp/passed.out" 2>&1
result $? "after matrixc generate the commit goes through"
grep -q 'Passed' "$tmp/passed.out"
result $? "pre-commit reports the check passed"
[ $tap_failed -eq 0 ] || sed 's/^/# /' "$tmp/blocked.out" "$tmp/passed.out"
tap_done
