FROM python:3.12-slim AS base
ENV PYTHONUNBUFFERED 1

FROM base AS run
CMD ["celery", "-A", "app", "worker"]

FROM run AS debug
ENV PYTHONUNBUFFERED=0

FROM python:3.12-slim AS cron
CMD ["celery", "-A", "app", "beat"]
