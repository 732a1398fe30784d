#!/bin/sh
curl -fsS http://localhost:8080/__admin/mappings
