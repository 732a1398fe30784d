set +e
ciguard check --format github
status=$?
set -e
exit $status
