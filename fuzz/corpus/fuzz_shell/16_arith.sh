! grep -R "TODO" src/
time -p make -j"$(nproc)" check
(( i++ )) || true
for ((i=0; i<3; i++)); do echo $i; done
