pytest -q \
  --cov=app \
  tests/ || { echo "tests failed"; exit 1; }
