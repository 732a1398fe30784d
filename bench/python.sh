#!/bin/sh
# make bench, issue 12: the full check over a tree of real Python modules
# (bench/gen_py.py: 20,000 copies of /usr/lib/python3*'s .py files,
# committed in a git repository of its own under bench/out/) against
# CPython's own ast.parse over the same files (bench/ast_peer.py), both
# pinned to one core (timeit --cpu 0, the same as taskset -c 0 without
# timing a taskset process) and timed as whole processes in this run.
# Targets: the check at least 5x faster than ast.parse, and >= 100 MB/s
# of Python. Prints files/s, MB/s and peak RSS of both.
#
#   sh python.sh CIGUARD TIMEIT        (from bench/; BENCH_PY_FILES=N)
set -eu
ciguard=$1 timeit=$2
n=${BENCH_PY_FILES:-20000}
tree=out/py-$n
if [ ! -d "$tree" ]; then
	rm -rf "$tree.tmp"
	python3 gen_py.py "$tree.tmp" "$n"
	git -C "$tree.tmp" init -q
	git -C "$tree.tmp" add -A
	git -C "$tree.tmp" -c user.name=bench -c user.email=bench@localhost \
		-c commit.gpgsign=false commit -q -m "generated"
	mv "$tree.tmp" "$tree"
fi
(cd "$tree" && find . -path ./.git -prune -o -type f -name '*.py' -print0) >out/py-list
py_files=$(tr -cd '\0' <out/py-list | wc -c)
py_bytes=$(cd "$tree" && find . -path ./.git -prune -o -type f -name '*.py' -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "python tree: $py_files .py files, $(awk "BEGIN {printf \"%.1f\", $py_bytes/1048576}") MB (copies of /usr/lib/python3*/, $tree)"
# ciguard: best of 3 (a run is short); ast.parse: one run (it is not)
check=$("$timeit" 3 --cpu 0 -- "$ciguard" check --jobs 1 --format json "$tree")
peer=$("$timeit" 1 --cpu 0 --stdin out/py-list --cwd "$tree" -- \
	python3 "$(pwd)/ast_peer.py" "$(pwd)/out/py-peer")
read -r peer_files peer_bytes peer_rejected <out/py-peer
# how many of them the check read (files skipped as vendored or too big
# would show here)
read_files=$("$ciguard" check --jobs 1 --format json "$tree" 2>/dev/null |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["summary"]["files"])')
pyver=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
echo "$check" | awk -v f="$py_files" -v b="$py_bytes" -v r="$read_files" '{
	printf "check --jobs 1, full layer (1 core, whole process, best of 3): %d ms, %.0f files/s, %.1f MB/s, peak RSS %.1f MiB (it read %d files)\n",
		$1, f / ($1 / 1000), b / 1048576 / ($1 / 1000), $3 / 1024, r }'
echo "$peer" | awk -v f="$peer_files" -v b="$peer_bytes" -v r="$peer_rejected" -v v="$pyver" '{
	printf "ast.parse, CPython %s (1 core, whole process): %d ms, %.0f files/s, %.1f MB/s, peak RSS %.1f MiB (%d files rejected)\n",
		v, $1, f / ($1 / 1000), b / 1048576 / ($1 / 1000), $3 / 1024, r }'
awk -v c="${check%% *}" -v p="${peer%% *}" -v b="$py_bytes" 'BEGIN {
	if (c <= 0) c = 0.1
	x = p / c
	mbs = b / 1048576 / (c / 1000)
	printf "check vs ast.parse over the same files: %.1fx faster (target >= 5x, issue 12): %s\n",
		x, (x >= 5 ? "PASS" : "MISS")
	printf "check, MB/s of Python on 1 core: %.1f MB/s (target >= 100 MB/s, issue 12): %s\n",
		mbs, (mbs >= 100 ? "PASS" : "MISS") }'
