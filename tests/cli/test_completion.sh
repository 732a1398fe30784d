#!/bin/sh
# ciguard completion bash|zsh: the scripts complete what --help lists.
# bash: sourced into a real bash and asked as bash-completion asks
# (COMP_WORDS/COMP_CWORD, then COMPREPLY); every long option of every
# command's --help completes after `ciguard CMD --`. zsh: the script parses.
set -u
ciguard=$1
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$ciguard" completion bash
cp "$tmp/out" "$tmp/ciguard.bash"
expect_exit 0 "$ciguard" completion zsh
cp "$tmp/out" "$tmp/_ciguard"
expect_exit 2 "$ciguard" completion fish
grep -q "fish" "$tmp/err" && grep -q "bash or zsh" "$tmp/err" && ok || bad "fish: $(cat "$tmp/err")"
expect_exit 2 "$ciguard" completion

# complete WORD... : what bash offers for the last word
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ciguard; echo "${COMPREPLY[*]}"' \
		sh "$tmp/ciguard.bash" "$@"
}
[ "$(complete_words ciguard ch)" = "check" ] && ok || bad "ch -> $(complete_words ciguard ch)"
[ "$(complete_words ciguard check --fail)" = "--fail-on" ] && ok || bad "check --fail -> $(complete_words ciguard check --fail)"
[ "$(complete_words ciguard slots re)" = "release refresh" ] && ok || bad "slots re -> $(complete_words ciguard slots re)"
[ "$(complete_words ciguard hooks '')" = "install uninstall status" ] && ok || bad "hooks -> $(complete_words ciguard hooks '')"
# after an option that takes a value: a file, not an option
mkdir "$tmp/d" && : >"$tmp/d/base.json"
(cd "$tmp/d" && [ "$(complete_words ciguard check --baseline b)" = "base.json" ]) && ok ||
	bad "check --baseline b -> $(cd "$tmp/d" && complete_words ciguard check --baseline b)"

# every command's options, as its --help lists them
for cmd in $("$ciguard" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} /^$/ {on = 0}'); do
	offered=" $(complete_words ciguard "$cmd" --) "
	n=0
	for opt in $("$ciguard" "$cmd" --help | sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p' | sort -u); do
		case "$offered" in
		*" $opt "*) n=$((n + 1)) ;;
		*) bad "$cmd: $opt in --help, not completed" ;;
		esac
	done
	[ "$n" -gt 0 ] && ok || bad "$cmd: no option completed"
done

if command -v zsh >/dev/null; then
	zsh -n "$tmp/_ciguard" && ok || bad "the zsh script does not parse"
	grep -q -- "'--fail-on=\[" "$tmp/_ciguard" && ok || bad "zsh: no --fail-on"
else
	bad "zsh is not installed (scripts/deps.sh test installs it)"
fi
finish
