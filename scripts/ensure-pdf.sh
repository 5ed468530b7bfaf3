#!/usr/bin/env bash
# WeasyPrint (a Python dependency in pyproject.toml) draws the reports' PDF files with
# Pango from the system. Installs Debian's Pango and fonts when `import weasyprint`
# fails. Usage: scripts/ensure-pdf.sh [path to the virtualenv's python]
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${1:-.venv/bin/python}"

if "$PYTHON" -c "import weasyprint" >/dev/null 2>&1; then
  exit 0
fi
echo "WeasyPrint cannot load Pango; installing Debian's libpango and fonts."
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "Need root (or sudo) to run: apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
"$PYTHON" -c "import weasyprint"
