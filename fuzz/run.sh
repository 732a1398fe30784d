#!/bin/sh
# Run every libFuzzer target for FUZZ_SECONDS each, one after the other,
# then merge what it found back into the committed corpus.
#
# A target fuzzes in a scratch folder (the first corpus folder, where
# libFuzzer writes each new unit), reading fuzz/corpus/<target>/ and the
# unit tests' inputs of its format (tests/data/<format>/) as seeds, with
# fuzz/dict/<format>.dict as its dictionary. Afterwards a `-merge=1` over
# the committed corpus and the scratch folder picks the smallest set of
# inputs that reaches every feature either reached, and that set becomes
# fuzz/corpus/<target>/: only inputs that add coverage land in the
# repository, and the corpus does not grow with every run. Hand-named
# seeds (any name that is not libFuzzer's 40-hex-digit one) always stay.
#
# Crashes, leaks, timeouts and the logs go to fuzz/artifacts/ (not
# committed). Prints per target the executions (libFuzzer's final stats),
# the corpus before and after, and the crash artefacts; then the total.
# Exits 1 when a target crashed or a step failed.
set -eu
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
build=${FUZZBUILD:-build-fuzz}
art=fuzz/artifacts
mkdir -p "$art"
# undefined behaviour is a crash too (the fuzz build lets UBSan recover)
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}
export UBSAN_OPTIONS
scratch=$(mktemp -d "${TMPDIR:-/tmp}/ciguard-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM

# The longest input a target is fed: what its harness reads, with room to
# spare (fuzz_check's input is several files).
max_len() {
	case $1 in
	fuzz_check) echo 16384 ;;
	fuzz_url) echo 1024 ;;
	fuzz_yaml | fuzz_json | fuzz_dotenv) echo 8192 ;;
	*) echo 4096 ;;
	esac
}

# "<files> files, <KiB> KiB" of a folder
size_of() {
	printf '%s files, %s KiB' "$(find "$1" -type f | wc -l)" \
		"$(($(find "$1" -type f -exec cat {} + | wc -c) / 1024))"
}

is_hash_name() {
	case $1 in
	*[!0-9a-f]*) return 1 ;;
	esac
	[ ${#1} -eq 40 ]
}

status=0
total=0
for f in "$build"/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	format=${name#fuzz_}
	corpus=fuzz/corpus/$name
	log=$art/$name.log
	work=$scratch/$name
	mkdir -p "$corpus" "$work/new" "$work/merged"
	seeds=tests/data/$format
	[ -d "$seeds" ] || seeds=
	dict=fuzz/dict/$format.dict
	[ -f "$dict" ] && dict=-dict=$dict || dict=
	len=-max_len=$(max_len "$name")
	before=$(size_of "$corpus")
	: >"$work/stamp"

	echo "== $name for ${secs}s"
	rc=0
	# shellcheck disable=SC2086 # $dict, $seeds: one word or none
	"$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 $len \
		$dict -print_final_stats=1 -artifact_prefix="$art/$name-" \
		"$work/new" "$corpus" $seeds >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
		tail -1)
	crashes=$(find "$art" -maxdepth 1 -name "$name-*" ! -name '*.log' \
		-newer "$work/stamp" | sort)
	if [ "$rc" -ne 0 ] || [ -n "$crashes" ]; then
		status=1
		tail -30 "$log"
	fi

	# keep hand-named seeds, then add what reaches anything new
	for s in "$corpus"/*; do
		[ -f "$s" ] || continue
		is_hash_name "$(basename "$s")" || cp "$s" "$work/merged/"
	done
	if "$f" -merge=1 -timeout=10 -rss_limit_mb=2048 \
		"$work/merged" "$corpus" "$work/new" >"$log.merge" 2>&1; then
		find "$corpus" -type f -exec rm -f {} +
		for s in "$work/merged"/*; do
			[ -f "$s" ] && cp "$s" "$corpus/"
		done
	else
		status=1
		echo "$name: merge failed, corpus left as it was (see $log.merge)"
	fi

	echo "$name: ${execs:-?} executions (exit $rc); corpus $before ->" \
		"$(size_of "$corpus")"
	if [ -n "$crashes" ]; then
		echo "$name: CRASH, artefacts:" "$(echo "$crashes" | tr "\n" " ")"
	else
		echo "$name: no crash"
	fi
	total=$((total + ${execs:-0}))
	rm -rf "$work"
done
echo "== total: $total executions"
exit $status
