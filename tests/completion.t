#!/bin/sh
# Shell completion (completions/): bash's for real (the script sourced in
# bash, COMP_WORDS and COMP_CWORD set, _matrixc called, COMPREPLY read),
# zsh's through a zsh driven on a pseudo-terminal (when zsh is installed),
# and `make install DESTDIR=` putting both where the shells look.
#
#   MATRIXC=build/matrixc prove tests/completion.t
: "${MATRIXC:?MATRIXC is the matrixc binary}"
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
. "$here/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# completion runs `matrixc` from PATH, as a user's shell would
mkdir "$tmp/bin"
ln -s "$MATRIXC" "$tmp/bin/matrixc"
PATH=$tmp/bin:$PATH
export PATH

# comp DIR WORD...: bash's completions of the last word, one a line, in
# $tmp/comp.out (sorted), and what the shell printed in $tmp/comp.err
comp() {
	dir=$1
	shift
	(cd "$dir" && bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_matrixc
		printf "%s\n" "${COMPREPLY[@]}"' _ "$root/completions/matrixc.bash" "$@" \
		>"$tmp/comp.raw" 2>"$tmp/comp.err")
	sort "$tmp/comp.raw" | sed '/^$/d' >"$tmp/comp.out"
}

# want WORDS...: comp.out is exactly these words
want() {
	: >"$tmp/want"
	[ $# -gt 0 ] && printf '%s\n' "$@" | sort >"$tmp/want"
	diff "$tmp/want" "$tmp/comp.out" >"$tmp/comp.diff" && [ ! -s "$tmp/comp.err" ]
}

mkdir "$tmp/repo" "$tmp/empty"
cp -R "$root/matrix.yaml" "$root/matrix.lock.json" "$root/lua" "$tmp/repo/"

comp "$tmp/empty" matrixc ""
want generate check list explain update init
result $? "bash: the commands" "$tmp/comp.diff" "$tmp/comp.err"

comp "$tmp/empty" matrixc -q ex
want explain
result $? "bash: a command after a global option" "$tmp/comp.diff" "$tmp/comp.err"

comp "$tmp/empty" matrixc explain --
want --lock --json --color
result $? "bash: explain's options" "$tmp/comp.diff" "$tmp/comp.err"

comp "$tmp/empty" matrixc list --
want --lock --all --json --color
result $? "bash: list's options" "$tmp/comp.diff" "$tmp/comp.err"

comp "$tmp/empty" matrixc check -
want -f -o --lock --diff-lines --color
result $? "bash: check's options" "$tmp/comp.diff" "$tmp/comp.err"

comp "$tmp/empty" matrixc --color ""
want always auto never
result $? "bash: --color's values" "$tmp/comp.diff" "$tmp/comp.err"

comp "$tmp/empty" matrixc check --diff-lines ""
want
result $? "bash: nothing for --diff-lines' number" "$tmp/comp.diff" "$tmp/comp.err"

# cell names: every tag and VERSION/VARIANT that list --all shows
comp "$tmp/repo" matrixc explain 3.13
want 3.13.14-wee 3.13.14/wee 3.13.14-wee-optimized 3.13.14/wee-optimized \
	3.13.14-wee-optimized-lto 3.13.14/wee-optimized-lto
result $? "bash: explain completes cell names" "$tmp/comp.diff" "$tmp/comp.err"

comp "$tmp/repo" matrixc explain 2.7.18/
want 2.7.18/wee 2.7.18/wee-optimized
result $? "bash: explain completes VERSION/VARIANT" "$tmp/comp.diff" "$tmp/comp.err"

comp "$tmp/empty" matrixc -f ../repo/matrix.yaml explain 3.6.15-
want 3.6.15-wee 3.6.15-wee-optimized 3.6.15-wee-optimized-lto
result $? "bash: explain reads the matrix that -f names" "$tmp/comp.diff" "$tmp/comp.err"

comp "$tmp/repo" matrixc explain 3.13.14-wee ""
want
result $? "bash: explain takes one cell" "$tmp/comp.diff" "$tmp/comp.err"

comp "$tmp/empty" matrixc explain ""
want
result $? "bash: no matrix: no names and no message" "$tmp/comp.diff" "$tmp/comp.err"

# every option offered is one main.c lets the command take
bad=0
for cmd in generate check list explain update init; do
	comp "$tmp/empty" matrixc "$cmd" -
	for opt in $(cat "$tmp/comp.out"); do
		case $opt in
		--color) v=never ;;
		-f | -o | --lock | --source | --diff-lines) v=1 ;;
		*) v= ;;
		esac
		# shellcheck disable=SC2086 # v is one word or none
		# in a directory of its own: no matrix (nothing for update to
		# resolve), and init writes its starter files there
		rm -rf "$tmp/scratch" && mkdir "$tmp/scratch"
		(cd "$tmp/scratch" && "$MATRIXC" "$cmd" "$opt" $v >/dev/null 2>"$tmp/opt.err")
		if grep -q "does not take\|unknown option" "$tmp/opt.err"; then
			echo "# $cmd does not take $opt"
			bad=1
		fi
	done
done
result $bad "bash: each command's options are the ones it takes"

# the script is a function bash-completion can load on demand
bash -c '. "$1"; complete -p matrixc' _ "$root/completions/matrixc.bash" | grep -q -- '-F _matrixc matrixc$'
result $? "bash: the script registers _matrixc for matrixc"

# --- zsh ----------------------------------------------------------------------
if command -v zsh >/dev/null 2>&1; then
	zsh -n "$root/completions/_matrixc"
	result $? "zsh: _matrixc parses (zsh -n)"
	# zcomp DIR WORDS: what zsh's completion lists for the command line
	zcomp() {
		(cd "$1" && zsh -f "$here/lib/zcomplete.zsh" "$root/completions" "$2") \
			>"$tmp/z.raw" 2>"$tmp/z.err"
		sort -u "$tmp/z.raw" | sed '/^$/d' >"$tmp/comp.out"
		: >"$tmp/comp.err"
	}
	zcomp "$tmp/empty" "matrixc "
	want generate check list explain update init
	result $? "zsh: the commands" "$tmp/comp.diff" "$tmp/z.err"
	zcomp "$tmp/empty" "matrixc list --"
	want --all --color --json --lock
	result $? "zsh: list's options" "$tmp/comp.diff" "$tmp/z.err"
	zcomp "$tmp/repo" "matrixc explain 3.13"
	want 3.13.14-wee 3.13.14/wee 3.13.14-wee-optimized 3.13.14/wee-optimized \
		3.13.14-wee-optimized-lto 3.13.14/wee-optimized-lto
	result $? "zsh: explain completes cell names" "$tmp/comp.diff" "$tmp/z.err"
	zcomp "$tmp/empty" "matrixc -f ../repo/matrix.yaml explain 3.6.15-"
	want 3.6.15-wee 3.6.15-wee-optimized 3.6.15-wee-optimized-lto
	result $? "zsh: explain reads the matrix that -f names" "$tmp/comp.diff" "$tmp/z.err"
	zcomp "$tmp/empty" "matrixc explain "
	want
	result $? "zsh: no matrix: no names" "$tmp/comp.diff" "$tmp/z.err"
else
	for i in 1 2 3 4 5 6; do skip "zsh is not installed"; done
fi

# --- make install ---------------------------------------------------------------
# the binary under test is installed as it is (-o: never rebuilt here)
make -s -C "$root" install DESTDIR="$tmp/dest" PREFIX=/usr \
	BUILD="$(dirname "$MATRIXC")" -o "$MATRIXC" >"$tmp/install.out" 2>&1 &&
	cmp -s "$MATRIXC" "$tmp/dest/usr/bin/matrixc" &&
	cmp -s "$root/completions/matrixc.bash" "$tmp/dest/usr/share/bash-completion/completions/matrixc" &&
	cmp -s "$root/completions/_matrixc" "$tmp/dest/usr/share/zsh/vendor-completions/_matrixc"
result $? "make install DESTDIR= puts both completions where bash and zsh look" "$tmp/install.out"

tap_done
