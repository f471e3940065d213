#!/usr/bin/env bash
# Installs (Debian package) and starts PostgreSQL on loopback for the store tests, and prints
# the connection string for KAFKAINGESTION_TEST_POSTGRES. Exits non-zero if it cannot.
set -uo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >/dev/null 2>&1 || exit 1
fi

version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
[ -n "$version" ] || exit 1
pg_ctlcluster "$version" main start >/dev/null 2>&1 || pg_ctlcluster "$version" main status >/dev/null 2>&1 || exit 1
port=$(pg_conftool -s "$version" main show port 2>/dev/null || echo 5432)
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 1; done

su postgres -c "psql -q -p $port -v ON_ERROR_STOP=1" >/dev/null <<'SQL' || exit 1
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kafkaingestion') THEN
    CREATE ROLE kafkaingestion LOGIN CREATEDB PASSWORD 'kafkaingestion-tests';
  END IF;
END $$;
SQL

echo "Host=127.0.0.1;Port=$port;Username=kafkaingestion;Password=kafkaingestion-tests;Database=postgres"
