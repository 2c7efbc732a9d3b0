# bash completion for packetdeck(1)                       -*- shell-script -*-
# Installed as share/bash-completion/completions/packetdeck (bash-completion
# loads it on first use); it can also be sourced by hand. It uses
# bash-completion's _filedir when that is loaded, compgen otherwise.

_packetdeck_commands='validate plan status run watch demo packet merge adopt help'

# _packetdeck_options COMMAND: the options the command accepts
_packetdeck_options()
{
    case $1 in
        validate) echo '--quiet -q --help -h' ;;
        plan)     echo '--resume --json --dot --mermaid --help -h' ;;
        status)   echo '--json --ascii --help -h' ;;
        run)      echo '--runner --resume --on-blocked --poll --wait-timeout --idle-timeout
                        --track-timeout --on-limit --handoff --notify --no-bell --json --quiet
                        --handoff-timeout --no-tui --ascii --help -h' ;;
        watch)    echo '--ascii --help -h' ;;
        demo)     echo '--no-tui --help -h' ;;
        packet)   echo '--resume --on-blocked --poll --wait-timeout --json --tasks-only --help -h' ;;
        merge)    echo '--continue --abort --no-qa --json --runner --help -h' ;;
        adopt)    echo '--yes --help -h' ;;
    esac
}

# _packetdeck_values OPTION: the values of an option that takes one (an
# empty line when they are free: seconds, a template); status 1 for an
# option without a value
_packetdeck_values()
{
    case $1 in
        --runner)     echo 'builtin claude claude-slash codex codex-unsandboxed' ;;
        --on-blocked) echo 'ask wait abort' ;;
        --on-limit)   echo 'wait abort' ;;
        --handoff)    echo 'ask continue stop' ;;
        --poll | --wait-timeout | --idle-timeout | --track-timeout | --handoff-timeout | --notify)
            echo '' ;;
        *) return 1 ;;
    esac
}

# _packetdeck_takes OPTION COMMAND: does COMMAND take OPTION with a value?
_packetdeck_takes()
{
    local o
    _packetdeck_values "$1" >/dev/null || return 1
    for o in $(_packetdeck_options "$2"); do
        [[ $o == "$1" ]] && return 0
    done
    return 1
}

_packetdeck()
{
    local cur=${COMP_WORDS[COMP_CWORD]} cword=$COMP_CWORD
    local prev=${COMP_WORDS[COMP_CWORD - 1]} cmd=${COMP_WORDS[1]}
    local opt='' prefix='' i
    COMPREPLY=()

    if ((cword == 1)); then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W '--help --version -h' -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$_packetdeck_commands" -- "$cur"))
        fi
        return 0
    fi
    [[ $cmd == help ]] && return 0

    # after `--` there are only arguments
    for ((i = 2; i < cword; i++)); do
        [[ ${COMP_WORDS[i]} == -- ]] && { _packetdeck_arg "$cmd"; return 0; }
    done

    # an option's value: `--opt VALUE`, or `--opt=VALUE` (one word, or three
    # when '=' is in COMP_WORDBREAKS, as it is by default)
    if [[ $cur == --*=* ]]; then
        opt=${cur%%=*} prefix=${cur%%=*}= cur=${cur#*=}
    elif [[ $cur == = ]] && ((cword >= 3)); then
        opt=$prev cur=''
    elif [[ $prev == = ]] && ((cword >= 4)); then
        opt=${COMP_WORDS[cword - 2]}
    elif [[ $prev == --* ]] && _packetdeck_takes "$prev" "$cmd"; then
        opt=$prev
    fi
    if [[ -n $opt ]]; then
        _packetdeck_takes "$opt" "$cmd" || return 0
        COMPREPLY=($(compgen -P "$prefix" -W "$(_packetdeck_values "$opt")" -- "$cur"))
        return 0
    fi

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_packetdeck_options "$cmd")" -- "$cur"))
        return 0
    fi
    _packetdeck_arg "$cmd"
}

# _packetdeck_arg COMMAND: the command's argument, PACKET_FILE (a file) or
# PACKET_DIR / DIR (a directory)
_packetdeck_arg()
{
    case $1 in
        packet)
            if declare -F _filedir >/dev/null; then
                _filedir
            else
                compopt -o filenames 2>/dev/null
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
            ;;
        validate | plan | status | run | watch | demo | merge | adopt)
            if declare -F _filedir >/dev/null; then
                _filedir -d
            else
                compopt -o filenames 2>/dev/null
                COMPREPLY=($(compgen -d -- "$cur"))
            fi
            ;;
    esac
}

complete -F _packetdeck packetdeck

# ex: filetype=sh
