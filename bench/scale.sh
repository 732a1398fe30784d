#!/bin/sh
# make bench, scaling part (issue 15): `ciguard check` (full layer, every
# core) on generated repositories of about 1k, 10k and 100k files (gen.py:
# 1.32 files per workflow), whole process, timed by timeit: wall time,
# files/s, MB/s of YAML, peak resident memory, and the CPU time of all its
# threads in user space and in the kernel (page faults: a first touch of
# memory is costly on a virtual machine). The last columns divide time,
# user CPU and memory by the smallest repository's per file: 1.00 is
# linear.
#
# Usage: bench/scale.sh CIGUARD TIMEIT; BENCH_SCALE_FILES ("1000 10000
# 100000"), BENCH_SCALE_RUNS (3: best of; the largest runs once).
set -eu
ciguard=$(realpath "$1")
timeit=$(realpath "$2")
cd "$(dirname "$0")"
sizes=${BENCH_SCALE_FILES:-"1000 10000 100000"}
runs=${BENCH_SCALE_RUNS:-3}
largest=$(echo "$sizes" | tr ' ' '\n' | sort -n | tail -1)
echo "scaling: check (full layer, default --jobs, $(nproc) cores), whole process"
printf '  %8s %8s %9s %10s %8s %10s %8s %8s %10s %10s %10s\n' files MB ms files/s MB/s "peak RSS" "user s" "sys s" "ms/file x" "user/file x" "RSS/file x"
base_ms="" base_rss="" base_files="" base_user=""
for want in $sizes; do
	n=$(( (want * 100 + 131) / 132 ))
	repo=out/scale-$want
	if [ ! -d "$repo" ]; then
		rm -rf "$repo.tmp"
		python3 gen.py "$repo.tmp" "$n"
		git -C "$repo.tmp" init -q
		mv "$repo.tmp" "$repo"
	fi
	files=$(find "$repo" -path "$repo/.git" -prune -o -type f -print | wc -l)
	bytes=$(find "$repo" -path "$repo/.git" -prune -o -type f \( -name '*.yml' -o -name '*.yaml' \) -printf '%s\n' |
		awk '{s += $1} END {print s + 0}')
	r=$runs
	[ "$want" = "$largest" ] && [ "$want" -ge 50000 ] && r=1
	# BEST MEDIAN PEAK_KIB USER_MS SYS_MS
	set -- $("$timeit" "$r" -- "$ciguard" check "$repo" --format json)
	ms=$1 rss=$3 user=$4 sys=$5
	if [ -z "$base_ms" ]; then
		base_ms=$ms base_rss=$rss base_files=$files base_user=$user
	fi
	awk -v f="$files" -v b="$bytes" -v ms="$ms" -v rss="$rss" -v u="$user" \
		-v s="$sys" -v bms="$base_ms" -v brss="$base_rss" -v bf="$base_files" \
		-v bu="$base_user" 'BEGIN {
		printf "  %8d %8.1f %9.0f %10.0f %8.1f %7.0f MiB %8.2f %8.2f %10.2f %10.2f %10.2f\n",
			f, b / 1048576, ms, f / (ms / 1000), b / 1048576 / (ms / 1000),
			rss / 1024, u / 1000, s / 1000, (ms / f) / (bms / bf),
			(u / f) / (bu / bf), (rss / f) / (brss / bf) }'
done
