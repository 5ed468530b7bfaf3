#!/usr/bin/env bash
# Make PostgreSQL and Redis answer on this machine for the tests, installing them first
# when they are missing (a fresh Debian machine: `make test` needs nothing done by hand).
#
# - Redis on 127.0.0.1:6379 (jobs, rate limits; the tests use queues and key prefixes
#   of their own, so parallel runs do not collide).
# - PostgreSQL on 127.0.0.1:5432, user postgres with trust auth on loopback, and a
#   database "test" (TIMEBANK_TEST_POSTGRES_URL overrides the whole URL for the tests).
#
# Installing needs root (apt-get); a machine that already has both only starts them.
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=no
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "apt-get not found: install $* yourself." >&2
    return 1
  fi
  if [ "$apt_updated" = no ]; then
    as_root apt-get update -qq
    apt_updated=yes
  fi
  echo "Installing $* (apt-get)."
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# Redis ---------------------------------------------------------------------------------

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  apt_install redis-server
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "Redis is not answering on 127.0.0.1:6379; starting it."
  as_root mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  for _ in $(seq 1 20); do
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
    sleep 0.5
  done
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "Redis did not start on 127.0.0.1:6379." >&2
    exit 1
  fi
fi

# PostgreSQL ----------------------------------------------------------------------------

installed_postgres=no
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  apt_install postgresql postgresql-client
  installed_postgres=yes
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)

if [ "$installed_postgres" = yes ]; then
  # A cluster made just now for the tests: trust the loopback addresses (the tests
  # connect as postgres without a password), nothing else.
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  if ! grep -q "timebank tests" "$hba"; then
    as_root sed -i '1i # timebank tests: trust on loopback\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload >/dev/null 2>&1 || true
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it."
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
  done
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "PostgreSQL did not start within 60 seconds." >&2
  exit 1
fi
if ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1" >/dev/null 2>&1; then
  echo "PostgreSQL answers but user postgres cannot sign in on 127.0.0.1 without a password:" \
    "allow it in pg_hba.conf (host all all 127.0.0.1/32 trust) or set TIMEBANK_TEST_POSTGRES_URL." >&2
  exit 1
fi
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" \
  | grep -q 1 || createdb -h 127.0.0.1 -U postgres test
