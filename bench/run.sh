#!/bin/sh
# make bench: time `ciguard check` on a generated monorepo and print files/s
# and MB/s of YAML. Pinned to one core (taskset) for the per-core number.
# Then wait.sh and limiter.sh (the limiter's driver: $2, or limiter_bench
# beside $1), which pin nothing.
set -eu
ciguard=$(realpath "$1")
limiter_bench=$(realpath "${2:-$(dirname "$1")/limiter_bench}")
cd "$(dirname "$0")"
n=${BENCH_WORKFLOWS:-1000}
repo=out/repo-$n
if [ ! -d "$repo" ]; then
	rm -rf "$repo.tmp"
	python3 gen.py "$repo.tmp" "$n"
	# its own git repository: ciguard lists files with git ls-files, as
	# in a user's checkout (bench/out is ignored by ours)
	git -C "$repo.tmp" init -q
	mv "$repo.tmp" "$repo"
fi
yaml_bytes=$(find "$repo/.github/workflows" -name '*.yml' -printf '%s\n' | awk '{s+=$1} END {print s}')
files=$(find "$repo" -type f | wc -l)
runs=${BENCH_RUNS:-5}
pin=""
command -v taskset >/dev/null && pin="taskset -c 0"
echo "machine: $(nproc) cores; repo: $files files, $(awk "BEGIN {printf \"%.1f\", $yaml_bytes/1048576}") MB of workflow YAML"
best=""
i=0
while [ $i -lt "$runs" ]; do
	start=$(date +%s%N)
	$pin "$ciguard" check "$repo" --format json >/dev/null 2>&1 || [ $? = 1 ]
	end=$(date +%s%N)
	ms=$(( (end - start) / 1000000 ))
	[ -z "$best" ] || [ "$ms" -lt "$best" ] && best=$ms
	i=$((i + 1))
done
[ "$best" -gt 0 ] || best=1
awk -v ms="$best" -v b="$yaml_bytes" -v f="$files" 'BEGIN {
	printf "check (1 core, best of runs): %d ms, %.0f files/s, %.1f MB/s of YAML (target >= 20 MB/s)\n",
		ms, f / (ms / 1000), b / 1048576 / (ms / 1000) }'

# hostile inputs: each must finish in well under a second (not a test:
# timings live here, the e2e case `hostile` checks the behaviour)
h=out/hostile
if [ ! -d "$h" ]; then
	mkdir -p "$h/.github/workflows"
	python3 - "$h/.github/workflows" <<'PY'
import sys, os
d = sys.argv[1]
with open(os.path.join(d, "laughs.yml"), "w") as f:
    f.write('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n')
    for p, c in zip("abcdefgh", "bcdefghi"):
        f.write(f"{c}: &{c} [" + ",".join(["*" + p] * 9) + "]\n")
with open(os.path.join(d, "deep.yml"), "w") as f:
    f.write("[" * 100000 + "\n")
with open(os.path.join(d, "line.yml"), "w") as f:
    f.write("jobs:\n  t:\n    steps:\n      - run: " + "echo x && " * 500000 + "pytest || true\n")
with open(os.path.join(d, "many.yml"), "w") as f:
    f.write("jobs:\n  t:\n    steps:\n" + "      - run: pytest | tee log\n" * 50000)
PY
fi
for f in laughs deep line many; do
	if [ ! -d "$h/$f" ]; then
		mkdir -p "$h/$f/.github/workflows"
		cp "$h/.github/workflows/$f.yml" "$h/$f/.github/workflows/"
		git -C "$h/$f" init -q
	fi
	start=$(date +%s%N)
	$pin "$ciguard" check "$h/$f" --format json >/dev/null 2>&1 || true
	end=$(date +%s%N)
	printf 'hostile %-7s %6d ms  (%s)\n' "$f" $(( (end - start) / 1000000 )) \
		"$(du -h "$h/.github/workflows/$f.yml" | cut -f1)"
done
sh ./wait.sh "$ciguard"
sh ./limiter.sh "$limiter_bench"
