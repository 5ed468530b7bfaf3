#!/usr/bin/env bash
# Restore a backup into an EMPTY database and prove it whole:
#   scripts/restore.sh DUMP MANIFEST DATABASE_URL
#
# Checks the dump's sha256 against the manifest, loads it (pg_restore, one
# transaction: all or nothing), then runs `timebank verify` (every balance against its
# transfers, each bank sums to zero, every audit chain intact) and `timebank
# audit-heads --check MANIFEST` (each chain holds the head recorded at backup time).
# Exit 0 only when all of that holds.
set -euo pipefail
dump=${1:?usage: scripts/restore.sh DUMP MANIFEST DATABASE_URL}
manifest=${2:?usage: scripts/restore.sh DUMP MANIFEST DATABASE_URL}
url=${3:?usage: scripts/restore.sh DUMP MANIFEST DATABASE_URL}
root=$(cd "$(dirname "$0")/.." && pwd)
flask=${FLASK:-$root/.venv/bin/flask}
python=${PYTHON:-$root/.venv/bin/python}

expected=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["sha256"])' "$manifest")
actual=$(sha256sum "$dump" | cut -d' ' -f1)
if [ "$expected" != "$actual" ]; then
  echo "The dump's sha256 is not the one in the manifest: it is damaged or not this backup." >&2
  exit 1
fi
pg_restore --exit-on-error --single-transaction --no-owner --no-privileges \
  --dbname="$url" "$dump"
export TIMEBANK_SQLALCHEMY_DATABASE_URI="${url/postgresql:/postgresql+psycopg:}"
"$flask" --app timebank.app timebank verify
"$flask" --app timebank.app timebank audit-heads --check "$manifest"
