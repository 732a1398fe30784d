FOO=1 BAR="x y" PYTHONUNBUFFERED=1 python -u -m app.main &
export DATABASE_URL="${DATABASE_URL:-postgresql://localhost/test}"
arr=(one "two three" $(ls))
arr+=(four)
echo "${arr[@]}" ${#arr[@]}
