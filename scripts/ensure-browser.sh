#!/usr/bin/env bash
# Make the real-browser tests runnable: Debian's Chromium at /usr/bin/chromium and the
# axe-core npm package in node_modules/. Idempotent: does nothing when both are there.
# Never runs `playwright install` (it downloads its own browser, which fails here);
# Playwright drives the system Chromium instead.
set -euo pipefail

cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "Chromium is missing; installing Debian's chromium package."
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "Need root (or sudo) to run: apt-get install -y chromium" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y chromium
fi

if [ ! -f node_modules/axe-core/axe.min.js ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is missing: install Node.js and npm (apt-get install -y nodejs npm)." >&2
    exit 1
  fi
  echo "axe-core is missing; installing the npm devDependencies."
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund
  else
    npm install --no-audit --no-fund
  fi
fi

/usr/bin/chromium --version 2>/dev/null
echo "axe-core $(node -p "require('./node_modules/axe-core/package.json').version")"
