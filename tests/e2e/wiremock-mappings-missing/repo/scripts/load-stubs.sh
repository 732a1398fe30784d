#!/bin/sh
set -eu
for f in wiremock/mappings/*.json; do
	curl -fsS -X POST --data-binary "@$f" "${WIREMOCK_URL:-http://localhost:8080}/__admin/mappings"
done
