#!/bin/sh
# Install the Debian packages a make target needs, only those that are missing.
# Usage: scripts/deps.sh build|test|coverage|fuzz|bench
set -eu
build="build-essential cmake pkg-config git libyaml-dev libjansson-dev libhiredis-dev libpq-dev libcurl4-openssl-dev libpcre2-dev libssl-dev"
case "${1:-build}" in
build) pkgs="$build" ;;
test) pkgs="$build libcmocka-dev redis-server postgresql python3 python3-yaml openssl pre-commit python3-pytest python3-pip python3-setuptools python3-wheel mypy zsh" ;;
# on top of test's: make coverage runs `scripts/deps.sh test` first
coverage) pkgs="$build gcovr" ;;
fuzz) pkgs="$build clang libclang-rt-14-dev" ;;
bench)
	pkgs="$build python3 hyperfine redis-server redis-tools nodejs"
	# NodeSource's nodejs carries npm and conflicts with Debian's npm
	command -v npm >/dev/null || pkgs="$pkgs npm"
	;;
*) echo "usage: $0 build|test|coverage|fuzz|bench" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
sudo=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "need root (or sudo) to install:$missing" >&2; exit 1; }
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
