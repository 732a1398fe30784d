#!/usr/bin/env python3
"""Generate a synthetic monorepo for `make bench`: N GitHub workflows (each a
few jobs with services, env and multi-line run blocks, some with mistakes),
docker-compose files, .env.example files and Kubernetes manifests.
Deterministic for a given N."""
import os
import random
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
rnd = random.Random(42)
wf_dir = os.path.join(out, ".github", "workflows")
os.makedirs(wf_dir, exist_ok=True)

STEPS = [
    "      - uses: actions/checkout@v4\n",
    "      - uses: actions/setup-python@v5\n        with:\n          python-version: '3.12'\n",
    "      - name: install\n        run: |\n          python -m pip install --upgrade pip\n          pip install -r requirements.txt\n",
    "      - name: test\n        run: pytest -q --cov=app tests/\n",
    "      - name: test (masked)\n        run: pytest -q tests/ || true\n",
    "      - name: test with log\n        run: |\n          set -o pipefail\n          pytest -v 2>&1 | tee test.log\n",
    "      - name: migrate\n        env:\n          DATABASE_URL: postgres://app:app@localhost:5432/app\n        run: alembic upgrade head\n",
    "      - name: lint\n        run: |\n          ruff check . && ruff format --check .\n          mypy app\n",
    "      - name: worker\n        run: |\n          nohup python -u -m app.worker > worker.log 2>&1 &\n          ciguard wait redis://localhost:6379 log:worker.log:worker_started\n",
]


def workflow(i):
    jobs = []
    for j in range(rnd.randint(2, 4)):
        steps = "".join(rnd.choice(STEPS) for _ in range(rnd.randint(4, 9)))
        jobs.append(f"""  job{j}:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    services:
      redis:
        image: redis:7
        ports: ["6379:6379"]
        options: >-
          --health-cmd "redis-cli ping" --health-interval 5s
      postgres:
        image: postgres:16
        env:
          POSTGRES_PASSWORD: app
        ports: ["5432:5432"]
    env:
      REDIS_URL: redis://localhost:6379/0
      DATABASE_URL: postgres://app:app@localhost:5432/app
      JOB_INDEX: "{i}-{j}"
    steps:
{steps}""")
    return f"""name: pipeline {i}
on:
  push:
    branches: [main]
  pull_request:
env:
  PYTHONUNBUFFERED: "1"
x-common: &common
  timeout: 10
jobs:
""" + "".join(jobs)


for i in range(n):
    with open(os.path.join(wf_dir, f"wf{i:04d}.yml"), "w") as f:
        f.write(workflow(i))
for i in range(max(1, n // 10)):
    d = os.path.join(out, f"svc{i:03d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "docker-compose.yml"), "w") as f:
        f.write(f"""x-env: &env
  REDIS_URL: redis://redis:6379/0
  DATABASE_URL: postgres://app:app@db:5432/app
services:
  app:
    build: .
    environment:
      <<: *env
      PORT: "80{i % 100:02d}"
    ports: ["80{i % 100:02d}:8000"]
    depends_on:
      db: {{condition: service_healthy}}
  worker:
    build: .
    command: python -u -m app.worker
    environment: *env
  redis:
    image: redis:7
  db:
    image: postgres:16
    healthcheck:
      test: ["CMD", "pg_isready"]
""")
    with open(os.path.join(d, ".env.example"), "w") as f:
        f.write("# Redis for the worker queue\nREDIS_URL=redis://localhost:6379/0\n"
                "# Postgres\nDATABASE_URL=postgres://app:app@localhost:5432/app  # required\n")
    k = os.path.join(d, "k8s")
    os.makedirs(k, exist_ok=True)
    with open(os.path.join(k, "deployment.yaml"), "w") as f:
        f.write(f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: svc{i:03d}-env
data:
  PYTHONUNBUFFERED: "1"
  LOG_LEVEL: info
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc{i:03d}-worker
spec:
  replicas: 2
  selector:
    matchLabels: {{app: svc{i:03d}-worker}}
  template:
    metadata:
      labels: {{app: svc{i:03d}-worker}}
    spec:
      containers:
        - name: worker
          image: ghcr.io/acme/svc{i:03d}:1.0.0
          command: ["python", "-m", "app.worker"]
          envFrom:
            - configMapRef: {{name: svc{i:03d}-env}}
          env:
            - name: REDIS_URL
              value: redis://redis.data.svc.cluster.local:6379/0
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef: {{name: svc{i:03d}-secrets, key: database-url}}
---
apiVersion: v1
kind: Service
metadata:
  name: svc{i:03d}
spec:
  selector: {{app: svc{i:03d}-worker}}
  ports:
    - port: 80
      targetPort: 8000
""")
