#!/bin/sh
# Allocation-failure sweep (issue 15): `ciguard check` of the examples with
# the Nth allocation failing, for every N from 1 to one past the number the
# run makes, under the ASan + UBSan build made with -DCIGUARD_ALLOC_FAIL=ON
# (tests/alloc/alloc_fail.c says what is counted).
#
#   sh tests/alloc/run.sh [--sample] [--only NAME,...] [--every K]
#                         CIGUARD SRC
#
# Each run must end in one of two ways:
#   out of memory  exit 2, stderr exactly one line "ciguard: out of memory
#                  [allocating N bytes]", stdout empty (no half report);
#   normal         N was past what the run allocated, or the failure was
#                  one ciguard may recover from (an arena region refused:
#                  blocks then come from malloc): the exit status, stdout
#                  (but for elapsed_ms) and the empty stderr of the run
#                  with no failure.
# Anything else fails the sweep: a crash, a sanitizer or leak report
# (ASAN_OPTIONS detect_leaks=1), another message, a partial report.
#
# --every K: N = 1..10, every Kth and the last only. --only: those of the
# commands below. --sample (the ctest entry): --every 199 on two commands,
# so that `make test` stays fast. `make alloc-fail` runs every N of all.
set -u

if [ "${1:-}" = --one ]; then
	# a worker of xargs: --one DIR CONFIG N; prints "CONFIG N RESULT"
	dir=$2 cfg=$3 n=$4
	. "$dir/$cfg.conf"
	o=$dir/$cfg.$n.out e=$dir/$cfg.$n.err
	CIGUARD_FAIL_ALLOC=$n "$ciguard" $args >"$o" 2>"$e"
	rc=$?
	res=
	if [ $rc = 2 ]; then
		if [ -s "$o" ]; then
			res="FAIL stdout-not-empty"
		elif [ "$(wc -l <"$e")" != 1 ] ||
			! grep -Eq '^ciguard: out of memory( allocating [0-9]+ bytes)?$' "$e"; then
			res="FAIL stderr: $(head -c 300 "$e" | tr '\n' '|')"
		else
			res=oom
		fi
	elif [ $rc = "$want" ]; then
		if [ -s "$e" ]; then
			res="FAIL exit $rc, stderr: $(head -c 300 "$e" | tr '\n' '|')"
		elif ! sed 's/"elapsed_ms": [0-9]*/"elapsed_ms": 0/' "$o" |
			cmp -s - "$dir/$cfg.ref"; then
			res="FAIL exit $rc, stdout differs from the normal report"
		else
			res=normal
		fi
	else
		res="FAIL exit $rc: $(head -c 300 "$e" | tr '\n' '|')"
	fi
	case $res in
	FAIL*) ;;
	*) rm -f "$o" "$e" ;;
	esac
	echo "$cfg $n $res"
	exit 0
fi

every=1 only=
while [ $# -gt 2 ]; do
	case $1 in
	--sample) every=199 only=broken,clean-jobs1 ;;
	--every) every=$2 && shift ;;
	--only) only=$2 && shift ;;
	*) break ;;
	esac
	shift
done
if [ $# != 2 ]; then
	echo "usage: sh tests/alloc/run.sh [--sample] [--only NAME,...]" \
		"[--every K] CIGUARD SRC" >&2
	exit 2
fi
ciguard=$(realpath "$1") src=$(realpath "$2")
self=$(realpath "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# leaks are checked at every exit, the out-of-memory one included
# (src/cli/main.c); a sanitizer's own exit status is never 0, 1 or 2
ASAN_OPTIONS=detect_leaks=1:exitcode=86:malloc_context_size=8
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS UBSAN_OPTIONS
unset CIGUARD_FAIL_ALLOC

# name|arguments|exit status without failures
configs='broken|check examples/broken-service --format json|1
broken-jobs1|check examples/broken-service --format json --jobs 1|1
clean|check examples/clean-service --format json|0
clean-jobs1|check examples/clean-service --format json --jobs 1|0
broken-quick|check examples/broken-service --format json --quick|1
clean-quick|check examples/clean-service --format json --quick|0
broken-text|check examples/broken-service --jobs 1|1
broken-sarif|check examples/broken-service --format sarif --jobs 1|1'
if [ -n "$only" ]; then
	configs=$(echo "$configs" |
		awk -F'|' -v only=",$only," 'index(only, "," $1 ",")')
fi

cd "$src" || exit 2
t0=$(date +%s)
echo "$configs" | while IFS='|' read -r cfg args want; do
	printf 'ciguard=%s\nargs="%s"\nwant=%s\n' "$ciguard" "$args" "$want" \
		>"$tmp/$cfg.conf"
	# the run with no failure: its report, and how many allocations
	CIGUARD_FAIL_ALLOC=count "$ciguard" $args >"$tmp/$cfg.out" \
		2>"$tmp/$cfg.err"
	rc=$?
	count=$(sed -n 's/^ciguard: alloc-fail: \([0-9]*\) allocations$/\1/p' \
		"$tmp/$cfg.err")
	if [ $rc != "$want" ] || [ -z "$count" ] ||
		[ "$(wc -l <"$tmp/$cfg.err")" != 1 ]; then
		echo "$cfg: the run without failures: exit $rc (want $want):" \
			"$(head -c 300 "$tmp/$cfg.err")" >&2
		echo "$cfg 0 FAIL reference" >>"$tmp/results"
		continue
	fi
	sed 's/"elapsed_ms": [0-9]*/"elapsed_ms": 0/' "$tmp/$cfg.out" \
		>"$tmp/$cfg.ref"
	last=$((count + 1))
	seq 1 "$last" | awk -v last="$last" -v every="$every" \
		'$1 <= 10 || $1 % every == 0 || $1 == last' |
		sed "s|^|$tmp $cfg |" |
		xargs -P 2 -n 3 sh "$self" --one >>"$tmp/results"
	echo "$cfg: $count allocations; N = 1..$last," \
		"$([ "$every" = 1 ] && echo 'every N' ||
			echo "1..10 and every ${every}th")"
done

awk '
{ tried[$1]++; total++ }
$3 == "oom" { oom[$1]++; noom++ }
$3 == "normal" { normal[$1]++; nnormal++ }
$3 == "FAIL" {
	failed[$1]++; nfail++
	why = $0; sub(/^[^ ]* [^ ]* FAIL /, "", why)
	gsub(/[0-9]+ bytes/, "# bytes", why)
	if (!(why in seen)) { order[nwhy++] = why; first[why] = $1 " N=" $2 }
	seen[why]++
}
END {
	for (i = 0; i < nwhy; i++)
		printf "FAIL x%d (first: %s): %s\n", seen[order[i]],
		    first[order[i]], order[i]
	for (c in tried)
		printf "%-14s %6d runs: %6d out of memory, %5d normal, %d failed\n",
		    c, tried[c], oom[c], normal[c], failed[c]
	printf "total          %6d runs: %6d out of memory, %5d normal, %d failed\n",
	    total, noom, nnormal, nfail
	exit nfail > 0
}' "$tmp/results"
status=$?
echo "($(($(date +%s) - t0)) s)"
exit $status
