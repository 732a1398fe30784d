#!/usr/bin/env python3
"""Generate a large monorepo for the quick-layer benchmark of `make bench`:
N files in all (default 20,000), of which 30 are CI or config files that
the quick layer reads (GitHub workflows, a GitLab pipeline, compose files,
example env files) and the rest source files, docs and data it must not
read. Deterministic for a given N."""
import os
import sys

out = sys.argv[1]
total = int(sys.argv[2]) if len(sys.argv) > 2 else 20000


def put(rel, text):
    p = os.path.join(out, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)


WORKFLOW = """name: ci {i}
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      redis:
        image: redis:7
        ports: ["6379:6379"]
        options: --health-cmd "redis-cli ping"
    env:
      REDIS_URL: redis://localhost:6379/0
    steps:
      - uses: actions/checkout@v4
      - run: pip install -r requirements.txt
      - run: pytest -q tests/ || true
      - run: |
          python -u -m app.worker > worker.log 2>&1 &
          ciguard wait redis://localhost:6379
"""
COMPOSE = """services:
  app:
    build: .
    command: python -m app.worker
    environment:
      REDIS_URL: redis://redis:6379/0
    depends_on: [redis]
  redis:
    image: redis:7
"""
GITLAB = """test:
  image: python:3.12
  services: [redis:7]
  variables:
    REDIS_URL: redis://redis:6379/0
  script:
    - pip install -r requirements.txt
    - pytest -q
"""
config = []
for i in range(14):
    config.append((f".github/workflows/ci{i:02d}.yml", WORKFLOW.format(i=i)))
config.append((".gitlab-ci.yml", GITLAB))
for i in range(10):
    config.append((f"services/svc{i:02d}/docker-compose.yml", COMPOSE))
for i in range(5):
    config.append((f"services/svc{i:02d}/.env.example",
                   "# where redis is\nREDIS_URL=redis://localhost:6379/0\n"))
assert len(config) == 30
for rel, text in config:
    put(rel, text)
rest = total - len(config)
for k in range(rest):
    pkg, mod = divmod(k, 50)
    top = pkg % 20
    kind = k % 10
    if kind == 9:
        put(f"docs/area{top:02d}/pkg{pkg:04d}/note{mod:02d}.md",
            f"# note {k}\n")
    elif kind == 8:
        put(f"data/area{top:02d}/pkg{pkg:04d}/fixture{mod:02d}.json",
            '{"id": %d}\n' % k)
    else:
        put(f"src/area{top:02d}/pkg{pkg:04d}/mod{mod:02d}.py",
            f"def f{k}():\n    return {k}\n")
