ciguard wait --timeout 60s redis://localhost:6379 postgres://localhost:5432/db -- pytest
exec 3>&1 4>&2 {fd}>&-
echo hi >| out <> rw 2>&1 <<< "$here"
