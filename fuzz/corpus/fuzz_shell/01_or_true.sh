pip install -r requirements.txt
pytest -q || true
