for i in $(seq 1 30); do
  pg_isready -h localhost -p 5432 && break
  sleep 1
done
