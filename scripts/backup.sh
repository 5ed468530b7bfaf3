#!/usr/bin/env bash
# Back up a timebank database: scripts/backup.sh DATABASE_URL DIRECTORY [pg_dump options]
#
# Writes DIRECTORY/timebank-<UTC time>.dump (pg_dump's custom format: compressed, every
# table, sequence, trigger and the migration version) and beside it a manifest .json:
# when, the dump's sha256, and each time bank's audit chain head (sequence number and
# hash) as it was when the dump began. After a restore, `timebank audit-heads --check
# MANIFEST` proves the restored chains hold those heads; run against the live database
# later, it shows whether history recorded before the backup has been rewritten.
#
# DATABASE_URL is libpq's (postgresql://user@host:5432/db); for the app it is the
# same with +psycopg. Needs pg_dump of the server's major version or newer.
set -euo pipefail
url=${1:?usage: scripts/backup.sh DATABASE_URL DIRECTORY}
directory=${2:?usage: scripts/backup.sh DATABASE_URL DIRECTORY}
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
flask=${FLASK:-$root/.venv/bin/flask}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$directory"
dump="$directory/timebank-$stamp.dump"
manifest="$directory/timebank-$stamp.json"

# The heads first: the dump (one consistent snapshot) holds at least these entries.
heads=$(TIMEBANK_SQLALCHEMY_DATABASE_URI="${url/postgresql:/postgresql+psycopg:}" \
  "$flask" --app timebank.app timebank audit-heads)
pg_dump --format=custom --no-owner --no-privileges --file="$dump" "$@" "$url"
sha=$(sha256sum "$dump" | cut -d' ' -f1)
cat > "$manifest" <<JSON
{
  "taken_at": "$stamp",
  "dump": "$(basename "$dump")",
  "sha256": "$sha",
  "audit_heads": $heads
}
JSON
echo "$dump"
echo "$manifest"
