#!/bin/bash
# The packaging release check (issue 15): build the .debs of HEAD from a
# clean clone, install them, try what a user of them would, remove them.
#
# Usage: scripts/release-check.sh [--keep]
#   --keep  keep the temporary folder (the .debs and build.log) and say where
#
# It clones HEAD (committed changes only: never the work tree) into a
# temporary folder and writes nothing into the repository. What it needs
# and is missing (the build dependencies of debian/control, debhelper,
# dpkg-dev, man-db) it installs with apt-get and keeps. The ciguard packages
# it installs, and whatever apt-get pulled in with them, are purged again at
# the end, also when a check fails or it is interrupted. It refuses to run
# when ciguard's packages are installed already. Needs root or sudo.
#
# Exit status: 0 every check passed, 1 a check failed, 2 it could not run.
set -u

keep=0
case "${1:-}" in
"") ;;
--keep) keep=1 ;;
*) echo "usage: $0 [--keep]" >&2; exit 2 ;;
esac

repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel) || exit 2
sha=$(git -C "$repo" rev-parse HEAD) || exit 2
packages="ciguard libciguard0 libciguard-dev"
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
apt_opts=(-y -q -o DPkg::Lock::Timeout=600)

sudo=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "release-check: needs root (or sudo) to install packages" >&2; exit 2; }
	sudo=sudo
fi

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q ' installed$'
}

# dpkg knows the package: installed, or its configuration files are left
known() {
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) &&
		[ -n "$status" ] && [ "${status#u}" = "$status" ]
}

# the packages dpkg has installed, one a line, sorted
installed_list() {
	dpkg-query -W -f='${Package}:${Architecture} ${Status}\n' |
		sed -n 's/ install ok installed$//p' | sort
}

for p in $packages; do
	if installed "$p"; then
		echo "release-check: $p is installed already; remove it first (dpkg -r $packages)" >&2
		exit 2
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ciguard-release.XXXXXX") || exit 2
pulled="" # what installing the .debs added, purged again at the end
cleanup() {
	trap - EXIT INT TERM
	remove=""
	for p in $packages $pulled; do
		known "$p" && remove="$remove $p"
	done
	# shellcheck disable=SC2086
	[ -z "$remove" ] || $sudo apt-get purge "${apt_opts[@]}" $remove >>"$work/remove.log" 2>&1 ||
		echo "release-check: could not purge$remove (see $work/remove.log)" >&2
	if [ "$keep" = 1 ]; then
		echo "kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
skipped=0
summary=""
note() { summary="$summary$1
"; echo "$1"; }
pass() { passed=$((passed + 1)); note "PASS  $1"; }
fail() { failed=$((failed + 1)); note "FAIL  $1${2:+: $2}"; }
skip() { skipped=$((skipped + 1)); note "SKIP  $1${2:+: $2}"; }

echo "release check of $sha in $work"
[ -z "$(git -C "$repo" status --porcelain)" ] ||
	echo "note: the work tree has uncommitted changes; they are not in this check"

# --- tools, the clone, the build dependencies ---------------------------
tools="git dpkg-dev build-essential debhelper man-db pkg-config"
missing=""
for p in $tools; do installed "$p" || missing="$missing $p"; done
updated=0
apt_install() {
	if [ "$updated" = 0 ]; then
		$sudo apt-get update -qq -o DPkg::Lock::Timeout=600 || return 1
		updated=1
	fi
	# shellcheck disable=SC2086
	$sudo apt-get install "${apt_opts[@]}" --no-install-recommends "$@"
}
if [ -n "$missing" ]; then
	echo "installing (and keeping):$missing"
	# shellcheck disable=SC2086
	apt_install $missing >"$work/deps.log" 2>&1 || { cat "$work/deps.log"; echo "release-check: cannot install$missing" >&2; exit 2; }
fi

src="$work/src"
if ! { git clone -q --no-checkout "$repo" "$src" &&
	git -C "$src" checkout -q --detach "$sha"; }; then
	echo "release-check: cannot clone $repo at $sha" >&2
	exit 2
fi
if ! unmet=$(cd "$src" && dpkg-checkbuilddeps 2>&1); then
	echo "installing the build dependencies (and keeping them): $(printf '%s\n' "$unmet" | sed 's/.*Unmet build dependencies: //')"
	(cd "$src" && $sudo apt-get update -qq -o DPkg::Lock::Timeout=600 &&
		$sudo apt-get build-dep "${apt_opts[@]}" --no-install-recommends ./) >"$work/deps.log" 2>&1 ||
		{ cat "$work/deps.log"; echo "release-check: cannot install the build dependencies" >&2; exit 2; }
fi
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
upstream=${version#*:}
upstream=${upstream%-*}
arch=$(dpkg-architecture -q DEB_HOST_ARCH)
multiarch=$(dpkg-architecture -q DEB_HOST_MULTIARCH)
libdir=/usr/lib/$multiarch

# --- build ----------------------------------------------------------------
echo "building ciguard $version (dpkg-buildpackage -b -us -uc, log: build.log) ..."
if (cd "$src" && nice -n 10 dpkg-buildpackage -b -us -uc -j"$jobs") >"$work/build.log" 2>&1; then
	pass "dpkg-buildpackage -b -us -uc"
else
	fail "dpkg-buildpackage -b -us -uc" "exit $?, the end of build.log:"
	tail -n 30 "$work/build.log"
	exit 1
fi
debs=""
for p in $packages; do
	deb="$work/${p}_${version}_$arch.deb"
	if [ -f "$deb" ]; then debs="$debs $deb"; else fail "$p .deb built" "no $deb"; fi
done
[ "$failed" = 0 ] || exit 1

# --- what the .debs hold --------------------------------------------------
contents() { dpkg-deb -c "$work/${1}_${version}_$arch.deb" | awk '{print $6}' | sed 's|^\./|/|'; }
expect() {
	package=$1
	shift
	list=$(contents "$package")
	bad=""
	for f in "$@"; do
		printf '%s\n' "$list" | grep -qxF "$f" || bad="$bad missing $f;"
	done
	stray=$(printf '%s\n' "$list" | grep -E '^/usr/local|^/(tmp|home|root|build)/|obj-|/debian/' | tr '\n' ' ')
	[ -z "$stray" ] || bad="$bad misplaced $stray"
	if [ -z "$bad" ]; then pass "$package.deb contents"; else fail "$package.deb contents" "$bad"; fi
}
expect ciguard /usr/bin/ciguard /usr/share/man/man1/ciguard.1.gz \
	/usr/share/bash-completion/completions/ciguard \
	/usr/share/zsh/vendor-completions/_ciguard \
	/usr/share/doc/ciguard/copyright
expect libciguard0 "$libdir/libciguard.so.0" "$libdir/libciguard.so.$upstream"
expect libciguard-dev /usr/include/ciguard/check.h "$libdir/libciguard.so" \
	"$libdir/libciguard.a" "$libdir/pkgconfig/ciguard.pc"

if command -v lintian >/dev/null; then
	# shellcheck disable=SC2086
	if lintian --fail-on error $debs >"$work/lintian.log" 2>&1; then
		pass "lintian: no errors"
	else
		fail "lintian" "$(grep '^E:' "$work/lintian.log" | head -n 5 | tr '\n' ' ')(lintian.log)"
	fi
else
	skip "lintian" "not installed"
fi

# --- install ----------------------------------------------------------------
before=$(installed_list)
# shellcheck disable=SC2086
if $sudo apt-get install "${apt_opts[@]}" $debs >"$work/install.log" 2>&1; then
	pass "apt-get install of the .debs"
else
	fail "apt-get install of the .debs" "see install.log"
	cat "$work/install.log"
	exit 1
fi
pulled=$(comm -13 <(printf '%s\n' "$before") <(installed_list) |
	grep -v -E "^($(echo "$packages" | tr ' ' '|')):" | cut -d: -f1 | tr '\n' ' ')
[ -z "$pulled" ] || echo "installed with them (purged at the end): $pulled"

# --- the checks -------------------------------------------------------------
ciguard=/usr/bin/ciguard
on_path=$(command -v ciguard)
[ "$on_path" = "$ciguard" ] || echo "note: 'ciguard' on PATH is $on_path, not $ciguard; the checks run $ciguard"

got=$($ciguard --version 2>&1)
if [ "$got" = "ciguard $upstream" ]; then
	pass "ciguard --version prints 'ciguard $upstream' (debian/changelog)"
else
	fail "ciguard --version" "printed '$got', debian/changelog says $version"
fi

if missing_libs=$(ldd "$ciguard" "$libdir/libciguard.so.0" | grep 'not found'); then
	fail "shared libraries resolve" "$missing_libs"
else
	pass "ldd: the libraries of ciguard and libciguard.so.0 resolve"
fi

man_page=/usr/share/man/man1/ciguard.1.gz
excluded=$(grep -l '^path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d/* 2>/dev/null | tr '\n' ' ')
if [ ! -f "$man_page" ] && [ -n "$excluded" ]; then
	skip "man ciguard" "dpkg dropped $man_page on install: path-exclude in $excluded(a slim image; the .deb holds it, see above)"
elif ! command -v man >/dev/null; then
	fail "man ciguard" "no man command (man-db)"
elif [ "$(man -w ciguard 2>&1)" != "$man_page" ]; then
	fail "man ciguard" "man -w ciguard finds '$(man -w ciguard 2>&1)', not $man_page"
elif page=$(MANWIDTH=80 man -P cat ciguard 2>&1) &&
	printf '%s\n' "$page" | grep -q '^SYNOPSIS' &&
	printf '%s\n' "$page" | grep -qF "ciguard $upstream"; then
	pass "man ciguard renders (version $upstream in its footer)"
else
	fail "man ciguard" "no SYNOPSIS or no 'ciguard $upstream' in: $(printf '%s\n' "$page" | head -n 3 | tr '\n' ' ')"
fi

pc_dir=$(pkg-config --variable=pcfiledir ciguard 2>&1)
if ! flags=$(pkg-config --cflags --libs ciguard 2>&1); then
	fail "pkg-config --cflags --libs ciguard" "$flags"
elif [ "$pc_dir" != "$libdir/pkgconfig" ]; then
	fail "pkg-config --cflags --libs ciguard" "it reads $pc_dir/ciguard.pc, not $libdir/pkgconfig/ciguard.pc"
elif [ "$(pkg-config --variable=libdir ciguard)" != "$libdir" ]; then
	fail "pkg-config --cflags --libs ciguard" "libdir is $(pkg-config --variable=libdir ciguard), the library is in $libdir"
else
	pass "pkg-config --cflags --libs ciguard: $flags"
fi

# a program of the public API: a whole check of an example, the names of
# severities and limiter statuses, a token through text and back
cat >"$work/api.c" <<'EOF'
#include <stdio.h>
#include <string.h>

#include <ciguard/check.h>
#include <ciguard/limiter.h>

int main(int argc, char **argv)
{
	struct cg_check_opts opt = {0};
	struct cg_check_result *result;
	const struct cg_check_summary *sum;
	struct cg_limit_token tok = {.id = "0123456789abcdef0123456789abcdef"};
	struct cg_limit_token back;
	char text[CG_LIMIT_TOKEN_MAX + 1];
	int failed;

	if (argc != 2)
		return 2;
	cg_limit_token_format(&tok, text);
	if (cg_limit_token_parse(&back, text) < 0 || strcmp(back.id, tok.id) ||
	    strcmp(cg_severity_name(CG_SEV_ERROR), "error") ||
	    strcmp(cg_limit_status_name(CG_LIMIT_FULL), "full")) {
		fprintf(stderr, "api: names or tokens are wrong\n");
		return 2;
	}
	opt.root = argv[1];
	if (cg_check(&result, &opt) < 0) {
		fprintf(stderr, "api: %s\n", cg_check_last_error());
		return 2;
	}
	sum = cg_check_result_summary(result);
	printf("%zu files, %zu errors, %zu warnings\n", sum->files,
	       sum->errors, sum->warnings);
	failed = sum->failed;
	cg_check_result_free(result);
	return failed;
}
EOF
cflags="-std=c11 -Wall -Wextra -Wpedantic -Werror"
# runs the program built as $1 on both examples: 0 on the clean one, 1 on
# the broken one
api_run() {
	"$1" "$src/examples/clean-service" >"$work/api.out" 2>&1 || { echo "clean-service: exit $?: $(cat "$work/api.out")"; return 1; }
	"$1" "$src/examples/broken-service" >"$work/api.out" 2>&1
	rc=$?
	[ "$rc" = 1 ] || { echo "broken-service: exit $rc (not 1): $(cat "$work/api.out")"; return 1; }
}
# shellcheck disable=SC2046,SC2086
if ! out=$(cc $cflags -o "$work/api" "$work/api.c" $(pkg-config --cflags --libs ciguard) 2>&1); then
	fail "a program linked with libciguard.so" "cc: $out"
elif loaded=$(ldd "$work/api" | awk '$1 == "libciguard.so.0" { print $3 }') &&
	[ "$(readlink -f "$loaded")" != "$(readlink -f "$libdir/libciguard.so.0")" ]; then
	fail "a program linked with libciguard.so" "it loads '$loaded', not $libdir/libciguard.so.0"
elif ! out=$(api_run "$work/api"); then
	fail "a program linked with libciguard.so" "$out"
else
	pass "a program linked with libciguard.so builds and checks both examples"
fi

# libciguard.a by name, the rest as pkg-config --static says
static_libs=$(pkg-config --static --libs ciguard)
static_libs=${static_libs/-lciguard/-l:libciguard.a}
# shellcheck disable=SC2046,SC2086
if ! out=$(cc $cflags -o "$work/api-static" "$work/api.c" $(pkg-config --cflags ciguard) $static_libs 2>&1); then
	fail "a program linked with libciguard.a (pkg-config --static)" "cc: $out"
elif ldd "$work/api-static" | grep -q libciguard; then
	fail "a program linked with libciguard.a (pkg-config --static)" "it loads libciguard.so"
elif ! out=$(api_run "$work/api-static"); then
	fail "a program linked with libciguard.a (pkg-config --static)" "$out"
else
	pass "a program linked with libciguard.a (pkg-config --static) builds and checks both examples"
fi

for example in clean-service:0 broken-service:1; do
	name=${example%:*}
	want=${example#*:}
	(cd "$src" && $ciguard check "examples/$name") >"$work/check-$name.out" 2>&1
	rc=$?
	if [ "$rc" = "$want" ]; then
		pass "ciguard check examples/$name exits $want"
	else
		fail "ciguard check examples/$name" "exit $rc, not $want: $(head -n 5 "$work/check-$name.out" | tr '\n' ' ')"
	fi
done

bash_completion=/usr/share/bash-completion/completions/ciguard
if [ -f "$bash_completion" ] && bash -c ". '$bash_completion' && complete -p ciguard" >/dev/null 2>&1; then
	pass "bash completion: $bash_completion defines the completion of ciguard"
else
	fail "bash completion" "$bash_completion is missing or does not define 'complete ... ciguard'"
fi
if [ -f /usr/share/zsh/vendor-completions/_ciguard ]; then
	pass "zsh completion: /usr/share/zsh/vendor-completions/_ciguard"
else
	fail "zsh completion" "/usr/share/zsh/vendor-completions/_ciguard is missing"
fi

# the build folder's path must not leak into what was installed (debug
# paths are mapped by -ffile-prefix-map; the .pc, the completions, the man
# page are made at build time)
leaks=""
# shellcheck disable=SC2086
for f in $(dpkg -L $packages); do
	[ -f "$f" ] && ! [ -L "$f" ] && grep -qF "$work" "$f" && leaks="$leaks $f"
done
if [ -z "$leaks" ]; then
	pass "no build path ($work) in the installed files"
else
	fail "no build path in the installed files" "found in$leaks"
fi

# --- remove ---------------------------------------------------------------
# shellcheck disable=SC2086
$sudo apt-get purge "${apt_opts[@]}" $packages $pulled >"$work/remove.log" 2>&1
left=""
for p in $packages $pulled; do
	known "$p" && left="$left $p"
done
if [ -z "$left" ] && [ ! -e "$ciguard" ] && [ ! -e "$libdir/pkgconfig/ciguard.pc" ]; then
	pulled=""
	pass "apt-get purge leaves none of it behind"
else
	fail "apt-get purge" "still there:$left"
fi

echo
echo "--- release check of ciguard $version ($sha) ---"
printf '%s' "$summary"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
