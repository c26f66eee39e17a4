# zcomplete.zsh COMPDIR LINE: the matches zsh's completion system offers
# for LINE (a tab pressed at its end), one a line, with completion
# functions from COMPDIR first in fpath. Run with `zsh -f`; exit 2 when no
# completion ran.
#
# An interactive zsh on a pseudo-terminal (zsh/zpty) sources a setup that
# loads compinit and a compadd that prints every match it is given (after
# zsh-completion-generator's capture.zsh); a NUL line marks the start and
# the end of the completion, after which that zsh exits.
zmodload zsh/zpty || exit 2
compdir=$1
line=$2
setup=$(mktemp) || exit 2
trap 'rm -f $setup' EXIT

cat >$setup <<'SETUP'
PROMPT=
autoload -Uz compinit
compinit -u -D
null-line() { echo -E - $'\0' }
compprefuncs=(null-line)
comppostfuncs=(null-line exit)
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
compadd() {
	if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
		builtin compadd "$@"
		return
	fi
	typeset -a __hits
	builtin compadd -A __hits "$@"
	(( $#__hits )) && print -rl -- $__hits
}
bindkey '^M' undefined-key
bindkey '^J' undefined-key
bindkey '^I' complete-word
SETUP

zpty z zsh -f -i
zpty -w z "fpath=(${(q)compdir} \$fpath); source ${(q)setup}"
zpty -w -n z "$line"$'\t'

# what the terminal shows, until both marks have come (or 10 s)
all= chunk=
integer waited=0
while [[ $all != *$'\0'*$'\0'* ]] && (( waited < 100 )); do
	if zpty -r -t z chunk; then
		all+=$chunk
	else
		sleep 0.1
		(( waited++ ))
	fi
done
zpty -d z
[[ $all == *$'\0'*$'\0'* ]] || exit 2
all=${all#*$'\0'}
all=${all%%$'\0'*}
print -r -- ${all//$'\r'/}
