#!/usr/bin/env bash
# Start the local PostgreSQL cluster and Redis if they are not answering, then wait.
# The tests use 127.0.0.1:5432, trust auth, database "test" (TIMEBANK_TEST_POSTGRES_URL
# overrides the whole URL).
set -euo pipefail

# Redis (the rate-limit test with several workers uses redis://127.0.0.1:6379).
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "Redis is not answering on 127.0.0.1:6379; starting it."
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
      --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    for _ in $(seq 1 20); do
      redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
      sleep 0.5
    done
  else
    echo "redis-server not found: install Redis (apt-get install redis-server)." >&2
  fi
fi

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
