#!/usr/bin/env bash
# The browser libraries the pages use, from the npm registry through package.json and
# package-lock.json: installed into node_modules/ (npm ci) and their built files copied
# into timebank/static/vendor/, which git ignores (nothing there is committed by hand).
# Idempotent: installs only when a file is missing or the lock file is newer.
# Today: Cytoscape.js for the reports' network view.
set -euo pipefail

cd "$(dirname "$0")/.."

if [ ! -f node_modules/cytoscape/dist/cytoscape.min.js ] \
  || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is missing: install Node.js and npm (apt-get install -y nodejs npm)." >&2
    exit 1
  fi
  echo "Installing the npm packages of package-lock.json."
  npm ci --no-audit --no-fund
fi

mkdir -p timebank/static/vendor
for file in cytoscape.min.js; do
  if ! cmp -s "node_modules/cytoscape/dist/$file" "timebank/static/vendor/$file"; then
    install -m 0644 "node_modules/cytoscape/dist/$file" "timebank/static/vendor/$file"
  fi
done
