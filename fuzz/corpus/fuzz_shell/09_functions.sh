retry() {
  local n=0
  until "$@"; do
    n=$((n+1)); [ $n -ge 5 ] && return 1
    sleep $((2**n))
  done
}
function cleanup { docker compose down -v; }
trap cleanup EXIT
retry docker compose up -d --wait
