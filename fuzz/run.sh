#!/bin/sh
# Run every libFuzzer target for FUZZ_SECONDS each, keeping the corpus in
# fuzz/corpus/<target>/ (committed) and crashes in fuzz/artifacts/. The
# unit tests' inputs of the target's format (tests/data/<format>/, for
# fuzz_<format>) are seeds too, read but never written to.
set -eu
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
build=${FUZZBUILD:-build-fuzz}
mkdir -p fuzz/artifacts
status=0
for f in "$build"/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	mkdir -p "fuzz/corpus/$name"
	seeds=tests/data/${name#fuzz_}
	[ -d "$seeds" ] || seeds=
	echo "== $name for ${secs}s"
	"$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="fuzz/artifacts/$name-" "fuzz/corpus/$name" $seeds \
		2>"fuzz/artifacts/$name.log" || { status=1; tail -30 "fuzz/artifacts/$name.log"; }
	tail -2 "fuzz/artifacts/$name.log"
done
exit $status
