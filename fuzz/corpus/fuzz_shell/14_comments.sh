# run the tests
make test # || true in a comment
echo 'a | b' "c ; d" e\ f # done
