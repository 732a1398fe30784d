#!/usr/bin/env bash
# Seed the test database with the orders the integration tests look up.
set -euo pipefail

psql "$DATABASE_URL" -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO orders (id, tenant_id, customer_id, amount_cents, currency, status, charge_id)
VALUES
  ('ord_seed_paid',     't1', 'cus_42', 1999, 'EUR', 'paid',           'ch_seed_paid'),
  ('ord_seed_refunded', 't1', 'cus_42',  500, 'EUR', 'refunded',       'ch_seed_refunded'),
  ('ord_seed_failed',   't2', 'cus_7',  2500, 'EUR', 'payment_failed', NULL)
ON CONFLICT (id) DO NOTHING;
SQL
echo "seeded $(psql "$DATABASE_URL" -tAc "SELECT count(*) FROM orders WHERE id LIKE 'ord_seed_%'") orders"
