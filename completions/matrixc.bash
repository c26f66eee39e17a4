# bash completion for matrixc                              -*- shell-script -*-
#
# Commands, each command's options (those main.c lets it take), option
# values, and cell names for `matrixc explain`, which come from
# `matrixc list --all` run quietly (no matrix found: no names, no message).
# `make install` puts this file where bash-completion loads it on demand:
# $(PREFIX)/share/bash-completion/completions/matrixc.

# The options that take a value: their value is not a command or argument.
_matrixc_takes_value()
{
    case $1 in
        -f | -o | --lock | --source | --diff-lines | --color) return 0 ;;
    esac
    return 1
}

# Tags and VERSION/VARIANT names of every cell (skipped ones too), from the
# matrix that -f and --lock on the command line name.
_matrixc_cells()
{
    local -a args=()
    local i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -f | --lock) args+=("${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}") ;;
        esac
    done
    command "${COMP_WORDS[0]}" "${args[@]}" list --all 2>/dev/null |
        awk 'NR > 1 { print $1; print $2 "/" $3 }'
}

_matrixc()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local cmd= i nargs=0
    COMPREPLY=()

    case $prev in
        -f | --lock)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur"))
            return
            ;;
        -o)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -d -- "$cur"))
            return
            ;;
        --color)
            COMPREPLY=($(compgen -W 'auto always never' -- "$cur"))
            return
            ;;
        --source | --diff-lines)
            return
            ;;
    esac

    # the command: the first word that is neither an option nor a value
    for ((i = 1; i < COMP_CWORD; i++)); do
        if _matrixc_takes_value "${COMP_WORDS[i]}"; then
            ((i++))
        elif [[ ${COMP_WORDS[i]} != -* ]]; then
            if [[ -z $cmd ]]; then
                cmd=${COMP_WORDS[i]}
            else
                ((nargs++))
            fi
        fi
    done

    local opts
    case $cmd in
        '') opts='-f --lock --color -q --quiet -h --help --version' ;;
        generate) opts='-f -o --lock -q --quiet --color' ;;
        check) opts='-f -o --lock --diff-lines --color' ;;
        list) opts='-f --lock --all --json --color' ;;
        explain) opts='-f --lock --json --color' ;;
        update) opts='-f --lock --source --check --keep-going --prune --trust-unverified -q --quiet --color' ;;
        init) opts='-q --quiet --color' ;;
        *) return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi

    case $cmd in
        '')
            COMPREPLY=($(compgen -W 'generate check list explain update init' -- "$cur"))
            ;;
        explain)
            ((nargs == 0)) && COMPREPLY=($(compgen -W "$(_matrixc_cells)" -- "$cur"))
            ;;
        init)
            if ((nargs == 0)); then
                compopt -o filenames 2>/dev/null
                COMPREPLY=($(compgen -d -- "$cur"))
            fi
            ;;
    esac
}

complete -F _matrixc matrixc
