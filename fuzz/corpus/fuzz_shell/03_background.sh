nohup python -m app.worker > worker.log 2>&1 &
sleep 5
curl -fsS http://localhost:8000/health
