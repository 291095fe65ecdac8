#!/usr/bin/env bash
# The whole test suite on a fresh machine: system packages, npm packages, build, type-check,
# lint, then every test. This is the README's test command and what .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real backends and a real browser for the tests come from Debian's packages.
DEB_PACKAGES=(python3-flask python3-fastapi python3-uvicorn python3-websockets gunicorn chromium
  postgresql pgbouncer python3-flask-socketio python3-socketio python3-eventlet python3-gevent python3-gevent-websocket
  openssl)
missing=()
for p in "${DEB_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-fund --no-audit
fi

echo "== build (tsc strict, dashboard)"; npm run --silent build
echo "== type-check the dashboard"; npx tsc -p dashboard/tsconfig.json --noEmit
echo "== lint (eslint, prettier)"; npm run --silent lint
echo "== tests"; node scripts/run-tests.js
