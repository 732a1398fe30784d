#!/bin/sh
# Meta-test of the rule registry [curl test1139]: ids unique, every rule has
# an explanation with a bad and a good example, every implemented rule has a
# firing and a clean e2e case, and docs/rules.md is the generated one.
set -u
ciguard=$1 src=$2
fail=0
ids=$("$ciguard" rules | awk '{print $1}')
dups=$(echo "$ids" | sort | uniq -d)
[ -z "$dups" ] || { echo "duplicate rule ids: $dups"; fail=1; }
for id in $ids; do
	out=$("$ciguard" explain "$id") || { echo "explain $id failed"; fail=1; continue; }
	echo "$out" | grep -q 'Bad' || { echo "$id: explain has no bad example"; fail=1; }
	echo "$out" | grep -q 'Good' || { echo "$id: explain has no good example"; fail=1; }
	# a firing case: some expected.json has a finding of this rule
	grep -l "\"rule\": \"$id\"" "$src"/tests/e2e/*/expected.json >/dev/null 2>&1 ||
		{ echo "$id: no e2e case where it fires"; fail=1; }
done
grep -q '"findings": \[\]' "$src"/tests/e2e/clean-*/expected.json ||
	{ echo "no clean e2e case with zero findings"; fail=1; }
"$ciguard" rules --markdown | cmp -s - "$src/docs/rules.md" ||
	{ echo "docs/rules.md is stale: run '$ciguard rules --markdown > docs/rules.md'"; fail=1; }
[ $fail = 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
