#!/usr/bin/env bash
# test_install.sh PACKETDECK SOURCE_DIR BUILD_DIR - what gets installed:
# the man page (groff has nothing to say about it; every command and every
# option of each command's --help is in it, and the exit statuses and the
# environment variables the sources read), the bash and zsh completions
# (run for real: every command, every option of every command, the values
# of the options that take fixed ones, directories and files), `cmake
# --install` and `cpack -G DEB` (the package's fields and contents), and,
# with PD_TEST_DEB_INSTALL=1 (as root), the .deb installed with apt-get and
# `packetdeck demo` run from it.
# A part whose tool is missing is skipped and said; then, when nothing
# failed, the status is 77 (skipped).
PD=$(realpath "$1")
SRC=$(realpath "$2")
BUILD=$(realpath "$3")
. "$(dirname "$0")/lib.sh"

MAN=$SRC/doc/packetdeck.1
BASHC=$SRC/completions/packetdeck.bash
ZSHC=$SRC/completions/_packetdeck
T_SKIPS=0
: >"$T_TMP/out"; : >"$T_TMP/err"
t_skip() { t_end; T_SKIPS=$((T_SKIPS + 1)); echo "ok - $1 # SKIP $2"; }
have() { command -v "$1" >/dev/null 2>&1; }

# --- what the program says it has -------------------------------------------

# The commands listed by `packetdeck --help`.
"$PD" --help >"$T_TMP/help" 2>&1
mapfile -t COMMANDS < <(sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' "$T_TMP/help")

# options CMD: the options that appear in `packetdeck CMD --help` and that
# CMD accepts (so that the flags of an agent CLI quoted in a preset's argv
# are not taken for packetdeck's). `CMD OPT -- a b` never runs anything: an
# option CMD does not know is refused as unknown; a flag leaves two
# arguments where one is allowed; an option with a value takes `--` and
# leaves `b` unexpected.
declare -A OPTS NOTES
for c in "${COMMANDS[@]}"; do
  "$PD" "$c" --help >"$T_TMP/help-$c" 2>&1
  list='--help' # every command's, though its --help does not say so
  for o in $(grep -o -- '--[a-z][a-z0-9-]*' "$T_TMP/help-$c" | sort -u); do
    if "$PD" "$c" "$o" -- a b 2>&1 </dev/null | grep -q "unknown option '$o'"; then
      NOTES[$c]+=" $o"
    else
      list+=" $o"
    fi
  done
  OPTS[$c]=${list# }
done

# values CMD: "OPT v1 v2 ..." lines for the options whose --help gives a
# fixed set (`--handoff ask|continue|stop`), and the presets of --runner
# (the "  NAME: ..." lines after "Presets").
values() {
  sed -n 's/^ *\(--[a-z][a-z-]*\) \([a-z][a-z-]*\(|[a-z][a-z-]*\)\{1,\}\) .*/\1 \2/p' "$T_TMP/help-$1" | tr '|' ' '
  if grep -q '^Presets' "$T_TMP/help-$1"; then
    echo "--runner $(sed -n '/^Presets/,$s/^  \([a-z][a-z-]*\): .*/\1/p' "$T_TMP/help-$1" | tr '\n' ' ')"
  fi
}

t_begin "packetdeck --help lists commands, each with --help and options"
[ "${#COMMANDS[@]}" -ge 7 ] || t_fail "commands found in --help: ${COMMANDS[*]}"
for c in "${COMMANDS[@]}"; do
  grep -q "^usage: packetdeck $c" "$T_TMP/help-$c" || t_fail "packetdeck $c --help: no usage line"
  [ -z "${NOTES[$c]}" ] || echo "  # $c --help mentions, but $c does not take:${NOTES[$c]}"
done
for c in "${COMMANDS[@]}"; do echo "  # $c: ${OPTS[$c]}"; done

# --- the man page ------------------------------------------------------------

# in_words TEXT WORD: WORD appears in TEXT not as part of a longer option
in_words() { grep -qE -- "(^|[^a-zA-Z0-9-])$2([^a-zA-Z0-9-]|\$)" <<<"$1"; }

if have groff; then
  t_begin "groff -man -ww -z: no warnings"
  groff -man -ww -z "$MAN" >"$T_TMP/out" 2>"$T_TMP/err"; RC=$?
  expect_rc 0
  [ ! -s "$T_TMP/err" ] || t_fail "groff warns"
  groff -man -Tutf8 -ww -z "$MAN" >"$T_TMP/out" 2>"$T_TMP/err"
  [ ! -s "$T_TMP/err" ] || t_fail "groff -Tutf8 warns"

  # the page as a reader sees it, one section per command
  groff -man -Tascii -P-cbou -rLL=120n "$MAN" 2>/dev/null >"$T_TMP/man.txt"
  section() { # the text of `.SS packetdeck CMD`, or of `.SH NAME`
    awk -v h="$1" '$0 == h {on = 1; next} on && /^(   )?[^ ]/ {on = 0} on' "$T_TMP/man.txt"
  }

  t_begin "the man page: a section per command, each with all the command's options"
  for c in "${COMMANDS[@]}"; do
    s=$(section "   packetdeck $c")
    if [ -z "$s" ]; then t_fail "no section 'packetdeck $c'"; continue; fi
    for o in ${OPTS[$c]}; do
      [ "$o" = --help ] && continue # said once for all, in DESCRIPTION
      in_words "$s" "$o" || t_fail "$c: $o is not in the man page's section"
    done
  done
  in_words "$(section DESCRIPTION)" --help || t_fail "--help is not in DESCRIPTION"
  in_words "$(section SYNOPSIS)" --version || t_fail "--version is not in SYNOPSIS"
  for c in "${COMMANDS[@]}"; do
    grep -q "^       packetdeck $c" <<<"$(section SYNOPSIS)" || t_fail "$c is not in SYNOPSIS"
  done

  t_begin "the man page: option values, exit statuses, environment, files, examples"
  for c in "${COMMANDS[@]}"; do
    s=$(section "   packetdeck $c")
    while read -r o vs; do
      for v in $vs; do in_words "$s" "$v" || t_fail "$c $o: value $v is not in the man page"; done
    done < <(values "$c")
  done
  s=$(section "EXIT STATUS")
  for n in 0 1 2 3 4 5 6; do grep -qE "^       $n  " <<<"$s" || t_fail "exit status $n not described"; done
  s=$(section ENVIRONMENT)
  for v in $(grep -rhoE 'getenv\("[A-Z_]+"\)|"PACKETDECK_[A-Z_]+=' "$SRC/src" "$SRC/ui" |
             grep -oE '[A-Z][A-Z_]+' | sort -u); do
    in_words "$s" "$v" || t_fail "environment variable $v (read or set in src/, ui/) is not in ENVIRONMENT"
  done
  s=$(section FILES)
  for f in $(grep -oE '^\| `\.packetdeck/[^`]+`' "$SRC/README.md" | tr -d '|` ') \
           .packetdeck/merge.json .packetdeck/merge.log manifest.json.orig; do
    grep -qF -- "$f" <<<"$s" || t_fail "$f (README's Files written) is not in FILES"
  done
  s=$(section EXAMPLES)
  for c in "${COMMANDS[@]}"; do grep -q "packetdeck $c" <<<"$s" || t_fail "no example of $c"; done
  grep -q "^\.TH PACKETDECK 1 .*\"packetdeck $("$PD" --version | cut -d' ' -f2)\"" "$MAN" ||
    t_fail ".TH does not name this version ($("$PD" --version))"
else
  t_skip "the man page" "groff is not installed (apt-get install groff-base)"
fi

# --- bash completion ---------------------------------------------------------

# bash_complete [--bash-completion] LINE...: in a fresh bash, complete each
# LINE (the cursor at its end) in $T_TMP/cwd; prints "LINE<TAB>reply reply ..."
mkdir -p "$T_TMP/cwd/packets-one" "$T_TMP/cwd/packets-two" "$T_TMP/cwd/plain dir"
: >"$T_TMP/cwd/packets-file.md"
bash_complete() {
  local pre=''
  if [ "$1" = --bash-completion ]; then pre='. /usr/share/bash-completion/bash_completion'; shift; fi
  (cd "$T_TMP/cwd" && bash --norc --noprofile -c "$pre"'
    . "$0" || exit 1
    for line in "$@"; do
      COMP_LINE=$line COMP_POINT=${#line}
      read -ra COMP_WORDS <<<"$line"
      [[ $line == *" " ]] && COMP_WORDS+=("")
      COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
      COMPREPLY=()
      spec=$(complete -p packetdeck) || exit 1
      fn=${spec#*-F }; fn=${fn%% *}
      "$fn" packetdeck "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
      printf "%s\t%s\n" "$line" "${COMPREPLY[*]}"
    done' "$BASHC" "$@")
}
# replies LINE: the replies for LINE in $T_TMP/out
replies() { awk -F'\t' -v l="$1" '$1 == l {print $2}' "$T_TMP/out"; }
has_all() { # WHAT REPLIES WORD...: every WORD is a reply
  local what=$1 r=" $2 " w; shift 2
  for w; do case "$r" in *" $w "*) ;; *) t_fail "$what: '$w' not offered (got:$r)" ;; esac; done
}
has_none() {
  local what=$1 r=" $2 " w; shift 2
  for w; do case "$r" in *" $w "*) t_fail "$what: '$w' offered" ;; esac; done
}

bash_checks() { # [--bash-completion]
  local lines=('packetdeck ' 'packetdeck va' 'packetdeck -' 'packetdeck validate pack' 'packetdeck validate ' \
               'packetdeck packet pack' 'packetdeck demo pack' 'packetdeck run --resume pack' \
               'packetdeck run --poll ' 'packetdeck run --runner=cl' 'packetdeck run -- --' \
               'packetdeck nosuch --') c o vs
  for c in "${COMMANDS[@]}"; do lines+=("packetdeck $c --" "packetdeck $c -"); done
  for c in "${COMMANDS[@]}"; do
    while read -r o vs; do lines+=("packetdeck $c $o "); done < <(values "$c")
  done
  bash_complete "$@" "${lines[@]}" >"$T_TMP/out" 2>"$T_TMP/err" || t_fail "the completion did not run"
  [ ! -s "$T_TMP/err" ] || t_fail "bash printed errors"
  has_all "packetdeck <TAB>" "$(replies 'packetdeck ')" "${COMMANDS[@]}"
  [ "$(replies 'packetdeck va')" = validate ] || t_fail "packetdeck va<TAB>: $(replies 'packetdeck va')"
  has_all "packetdeck -<TAB>" "$(replies 'packetdeck -')" --help --version
  for c in "${COMMANDS[@]}"; do
    # shellcheck disable=SC2086
    has_all "packetdeck $c --<TAB>" "$(replies "packetdeck $c --")" ${OPTS[$c]}
    # shellcheck disable=SC2086
    has_all "packetdeck $c -<TAB>" "$(replies "packetdeck $c -")" ${OPTS[$c]}
    while read -r o vs; do
      # shellcheck disable=SC2086
      has_all "packetdeck $c $o <TAB>" "$(replies "packetdeck $c $o ")" $vs
    done < <(values "$c")
  done
  has_all "validate pack<TAB>" "$(replies 'packetdeck validate pack')" packets-one packets-two
  has_none "validate pack<TAB>" "$(replies 'packetdeck validate pack')" packets-file.md
  has_all "validate <TAB>" "$(replies 'packetdeck validate ')" packets-one
  has_all "demo pack<TAB>" "$(replies 'packetdeck demo pack')" packets-one
  has_all "run --resume pack<TAB>" "$(replies 'packetdeck run --resume pack')" packets-one
  has_all "packet pack<TAB>" "$(replies 'packetdeck packet pack')" packets-file.md
  [ -z "$(replies 'packetdeck run --poll ')" ] || t_fail "run --poll <TAB> offers: $(replies 'packetdeck run --poll ')"
  has_all "run --runner=cl<TAB>" "$(replies 'packetdeck run --runner=cl')" --runner=claude --runner=claude-slash
  [ -z "$(replies 'packetdeck run -- --')" ] || t_fail "options offered after --: $(replies 'packetdeck run -- --')"
  [ -z "$(replies 'packetdeck nosuch --')" ] || t_fail "options offered for an unknown command"
}

if have bash; then
  t_begin "bash completion (alone): commands, every command's options and values, dirs, files"
  bash_checks
  if [ -r /usr/share/bash-completion/bash_completion ]; then
    t_begin "bash completion (with bash-completion loaded): the same"
    bash_checks --bash-completion
  else
    t_skip "bash completion with bash-completion loaded" "bash-completion is not installed"
  fi
  t_begin "bash completion: the '=' of --opt=VALUE split off as readline does"
  (cd "$T_TMP/cwd" && bash --norc --noprofile -c '. "$0"
    COMP_WORDS=(packetdeck run --handoff = co); COMP_CWORD=4; _packetdeck; echo "${COMPREPLY[*]}"
    COMP_WORDS=(packetdeck run --handoff =); COMP_CWORD=3; _packetdeck; echo "${COMPREPLY[*]}"' "$BASHC") >"$T_TMP/out" 2>"$T_TMP/err"
  printf 'continue\nask continue stop\n' | cmp -s - "$T_TMP/out" || t_fail "unexpected replies"
else
  t_skip "bash completion" "no bash"
fi

# --- zsh completion ----------------------------------------------------------

# zsh_complete LINE...: complete each LINE in a real interactive zsh (zpty),
# the completion system initialised with completions/ first on fpath; the
# matches of LINE N go to $T_TMP/zsh.N, one a line.
zsh_complete() {
  local i=0 line script=$T_TMP/zsh-driver.zsh
  {
    echo 'zmodload zsh/zpty || exit 1'
    echo 'zpty z "env TERM=dumb HOME=$ZHOME zsh -f -i"'
    echo 'zpty -w z "fpath=(\"$ZDIR\" \$fpath); autoload -Uz compinit; compinit -u -D"'
    # a completion widget that records what compadd adds, then neither
    # lists nor inserts anything (no question to answer, the line unchanged);
    # the markers are typed so that their echo does not match
    echo 'zpty -w z "_pd_capture() { compadd() { local -a _m; builtin compadd -O _m \"\$@\"; print -rl -- \$_m >>\$ZOUT; builtin compadd \"\$@\"; }; _main_complete; unfunction compadd; compstate[list]=; compstate[insert]=; }"'
    # (emacs keys, ^T not a prefix; a prompt to wait for: keys typed before
    # zle reads the terminal would meet the tty's own line editing)
    echo 'zpty -w z "bindkey -e; zle -C pd-capture complete-word _pd_capture; bindkey \"^T\" pd-capture; PS1=\"@p\"\"d@ \"; print R\"\"EADY"'
    echo 'zpty -r -m z x "*READY*" || exit 1'
    for line in "$@"; do
      printf 'zpty -w z "ZOUT=%q; : >\\$ZOUT; print R\\"\\"EADY%s"\n' "$T_TMP/zsh.$i" "$i"
      printf 'zpty -r -m z x "*READY%s*" && zpty -r -m z x "*@pd@*" || exit 1\n' "$i"
      printf 'zpty -w -n z %q$'"'"'\\C-t\\C-u'"'"'\n' "$line"
      printf 'zpty -w z "print D\\"\\"ONE%s"\n' "$i"
      printf 'zpty -r -m z x "*DONE%s*" || exit 1\n' "$i"
      i=$((i + 1))
    done
    echo 'zpty -d z'
  } >"$script"
  (cd "$T_TMP/cwd" && ZDIR=$(dirname "$ZSHC") ZHOME=$T_TMP/cwd timeout 120 zsh -f "$script")
}
zreplies() { tr '\n' ' ' <"$T_TMP/zsh.$1"; }

if have zsh && zsh -f -c 'zmodload zsh/zpty' 2>/dev/null; then
  t_begin "zsh completion: syntax"
  zsh -n "$ZSHC" 2>"$T_TMP/err" || t_fail "zsh -n fails"
  t_begin "zsh completion (real zsh): commands, every command's options and values, dirs, files"
  lines=('packetdeck ' 'packetdeck validate pack' 'packetdeck packet pack')
  for c in "${COMMANDS[@]}"; do lines+=("packetdeck $c --"); done
  vlines=()
  for c in "${COMMANDS[@]}"; do
    while read -r o vs; do lines+=("packetdeck $c $o "); vlines+=("$c $o $vs"); done < <(values "$c")
  done
  zsh_complete "${lines[@]}" >"$T_TMP/out" 2>"$T_TMP/err" || t_fail "the zsh driver failed"
  has_all "zsh: packetdeck <TAB>" "$(zreplies 0)" "${COMMANDS[@]}"
  has_all "zsh: validate pack<TAB>" "$(zreplies 1)" packets-one packets-two
  has_none "zsh: validate pack<TAB>" "$(zreplies 1)" packets-file.md
  has_all "zsh: packet pack<TAB>" "$(zreplies 2)" packets-file.md
  n=3
  for c in "${COMMANDS[@]}"; do
    # shellcheck disable=SC2086
    has_all "zsh: packetdeck $c --<TAB>" "$(zreplies $n)" ${OPTS[$c]}
    n=$((n + 1))
  done
  for v in "${vlines[@]}"; do
    read -r c o vs <<<"$v"
    # shellcheck disable=SC2086
    has_all "zsh: packetdeck $c $o <TAB>" "$(zreplies $n)" $vs
    n=$((n + 1))
  done
else
  t_skip "zsh completion" "zsh (with zsh/zpty) is not installed"
  t_begin "zsh completion file: each command's function names its options"
  for c in "${COMMANDS[@]}"; do
    body=$(sed -n "/^_packetdeck_$c() {/,/^}/p" "$ZSHC")
    [ -n "$body" ] || { t_fail "no _packetdeck_$c"; continue; }
    for o in ${OPTS[$c]}; do grep -qF -- "$o" <<<"$body" || t_fail "$c: $o not in _packetdeck_$c"; done
  done
fi

# --- cmake --install ---------------------------------------------------------

if have cmake; then
  t_begin "cmake --install --prefix: program, man page, completions in their places"
  P=$T_TMP/prefix
  cmake --install "$BUILD" --prefix "$P" >"$T_TMP/out" 2>"$T_TMP/err"; RC=$?
  expect_rc 0
  [ -x "$P/bin/packetdeck" ] || t_fail "no bin/packetdeck"
  for f in "share/man/man1/packetdeck.1:$MAN" "share/bash-completion/completions/packetdeck:$BASHC" \
           "share/zsh/vendor-completions/_packetdeck:$ZSHC"; do
    cmp -s "$P/${f%%:*}" "${f#*:}" || t_fail "${f%%:*} is not ${f#*:}"
  done
  [ "$("$P/bin/packetdeck" --version 2>&1)" = "$("$PD" --version)" ] || t_fail "the installed program does not run"
  if have man; then
    MANPATH=$P/share/man man -w packetdeck >"$T_TMP/out" 2>"$T_TMP/err" &&
      grep -qx "$P/share/man/man1/packetdeck.1" "$T_TMP/out" || t_fail "man -w does not find it"
  fi
  if [ -r /usr/share/bash-completion/bash_completion ]; then
    # bash-completion finds it on its own, as it would under /usr
    XDG_DATA_DIRS=$P/share bash --norc --noprofile -c '. /usr/share/bash-completion/bash_completion
      __load_completion packetdeck && complete -p packetdeck' >"$T_TMP/out" 2>"$T_TMP/err" ||
      t_fail "bash-completion does not load the installed completion"
  fi
else
  t_skip "cmake --install" "no cmake"
fi

# --- cpack -G DEB ------------------------------------------------------------

if have cpack && have dpkg-deb && have dpkg; then
  t_begin "cpack -G DEB: packetdeck_VERSION_ARCH.deb, its fields and contents"
  K=$T_TMP/pkg
  (cd "$BUILD" && cpack -G DEB -B "$K") >"$T_TMP/out" 2>"$T_TMP/err"; RC=$?
  expect_rc 0
  version=$("$PD" --version | cut -d' ' -f2)
  DEB=$K/packetdeck_${version}_$(dpkg --print-architecture).deb
  if [ ! -f "$DEB" ]; then
    t_fail "no $DEB (made: $(ls "$K"))"
  else
    dpkg-deb -I "$DEB" >"$T_TMP/out" 2>"$T_TMP/err" || t_fail "dpkg-deb -I fails"
    expect_out " Package: packetdeck"
    expect_out " Version: $version"
    grep -q '^ Maintainer: .*<.*@.*>' "$T_TMP/out" || t_fail "no Maintainer"
    grep -q '^ Section: ' "$T_TMP/out" || t_fail "no Section"
    grep -q '^ Description: ..*' "$T_TMP/out" || t_fail "no Description"
    depends=$(sed -n 's/^ Depends: //p' "$T_TMP/out")
    [ -n "$depends" ] || t_fail "no Depends line"
    for lib in libc6 libcjson libyaml libgit2 libncursesw; do
      grep -qE "(^|, )$lib[a-z0-9.-]*( |,|$)" <<<"$depends" || t_fail "Depends names no $lib: $depends"
    done
    dpkg-deb -c "$DEB" >"$T_TMP/out" 2>"$T_TMP/err" || t_fail "dpkg-deb -c fails"
    for f in usr/bin/packetdeck usr/share/man/man1/packetdeck.1 \
             usr/share/bash-completion/completions/packetdeck usr/share/zsh/vendor-completions/_packetdeck; do
      grep -qE " \./$f\$" "$T_TMP/out" || t_fail "the package lacks $f"
    done
    grep -qE '^-rwxr-xr-x root/root .* \./usr/bin/packetdeck$' "$T_TMP/out" || t_fail "usr/bin/packetdeck: not root's, 0755"
    if have file; then
      dpkg-deb -x "$DEB" "$K/x" && file -b "$K/x/usr/bin/packetdeck" >"$T_TMP/out"
      grep -q '^ELF .* executable' "$T_TMP/out" || t_fail "usr/bin/packetdeck is not an ELF executable"
      grep -q ', stripped' "$T_TMP/out" || t_fail "usr/bin/packetdeck is not stripped"
    fi
  fi
else
  t_skip "cpack -G DEB" "cpack or dpkg-deb is missing (apt-get install cmake dpkg-dev)"
fi

# --- the package installed (PD_TEST_DEB_INSTALL=1) ---------------------------

if [ "${PD_TEST_DEB_INSTALL:-0}" = 1 ]; then
  if [ "$(id -u)" != 0 ] || ! have apt-get || [ ! -f "${DEB:-}" ]; then
    t_skip "apt-get install ./packetdeck_*.deb" "needs root, apt-get and the package made above"
  else
    t_begin "apt-get install ./packetdeck_*.deb; packetdeck demo from it"
    before=$(dpkg-query -W -f='${Status}' packetdeck 2>/dev/null)
    cp "$DEB" "$T_TMP/cwd/" && chmod 0755 "$T_TMP" "$T_TMP/cwd" && chmod 0644 "$T_TMP/cwd/$(basename "$DEB")"
    (cd "$T_TMP/cwd" && DEBIAN_FRONTEND=noninteractive apt-get install -y "./$(basename "$DEB")") \
      >"$T_TMP/out" 2>"$T_TMP/err"; RC=$?
    expect_rc 0
    [ "$(command -v packetdeck)" = /usr/bin/packetdeck ] || t_fail "packetdeck is not /usr/bin/packetdeck"
    [ "$(/usr/bin/packetdeck --version)" = "$("$PD" --version)" ] || t_fail "the installed version differs"
    if have man; then
      [ "$(man -w packetdeck 2>/dev/null)" = /usr/share/man/man1/packetdeck.1 ] || t_fail "man -w packetdeck: $(man -w packetdeck 2>&1)"
    fi
    if [ -r /usr/share/bash-completion/bash_completion ]; then
      bash --norc --noprofile -c '. /usr/share/bash-completion/bash_completion; __load_completion packetdeck' ||
        t_fail "bash-completion does not load /usr/share/bash-completion/completions/packetdeck"
    fi
    mkdir -p "$T_TMP/demo-cwd"
    (cd "$T_TMP/demo-cwd" && env -u CI timeout 300 /usr/bin/packetdeck demo "$T_TMP/demo-cwd/demo" </dev/null) \
      >"$T_TMP/out" 2>"$T_TMP/err"; RC=$?
    expect_rc 0
    expect_out "All tracks completed. Next: /merge-work-packets $T_TMP/demo-cwd/demo/packets"
    if [ "$before" != "install ok installed" ]; then
      DEBIAN_FRONTEND=noninteractive apt-get remove -y packetdeck >"$T_TMP/out" 2>"$T_TMP/err" ||
        t_fail "apt-get remove packetdeck fails"
      [ ! -e /usr/bin/packetdeck ] || t_fail "/usr/bin/packetdeck is left after the removal"
    else
      echo "  # packetdeck was installed before the test: this build's package stays installed"
    fi
  fi
fi

t_summary || exit 1
[ "$T_SKIPS" = 0 ] || { echo "$T_SKIPS part(s) skipped"; exit 77; }
exit 0
