until redis-cli -p 6380 ping | grep -q PONG; do sleep 1; done
