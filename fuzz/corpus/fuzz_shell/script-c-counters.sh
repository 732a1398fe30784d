script -q -c "pytest" /dev/null
script -qec 'a; b' f -e
n=0; until pytest; do n=$((n+1)); ((n++)); let n-=1; [ $n -ge 3 ] && break; done
rc=$?; [ $rc -ne 101 ] && exit $rc
for i in 1 2 3 4 5; do c=$((c+i)); done; [ $c -eq 15 ]
