#!/usr/bin/env bash
# Start the local PostgreSQL cluster if it is not answering, then wait for it.
# The tests use 127.0.0.1:5432, trust auth, database "test" (TIMEBANK_TEST_POSTGRES_URL
# overrides the whole URL).
set -euo pipefail

if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  exit 0
fi
echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it."
if command -v pg_ctlcluster >/dev/null 2>&1; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
else
  echo "pg_ctlcluster not found: install PostgreSQL (apt-get install postgresql)." >&2
  exit 1
fi
for _ in $(seq 1 60); do
  if pg_isready -q -h 127.0.0.1 -p 5432; then
    psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" \
      | grep -q 1 || createdb -h 127.0.0.1 -U postgres test
    exit 0
  fi
  sleep 1
done
echo "PostgreSQL did not start within 60 seconds." >&2
exit 1
