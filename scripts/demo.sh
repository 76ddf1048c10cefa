#!/usr/bin/env bash
# Quick start (a): install what is missing, seed the demo county, start the portal and print its URL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MEDIASOUP_WORKER_BIN="${MEDIASOUP_WORKER_BIN:-/usr/lib/x86_64-linux-gnu/mediasoup/mediasoup-worker}"
node --import tsx scripts/seed-demo.ts
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-3000}"
printf '\n\033[1;32m门户地址 / portal URL: http://%s:%s/\033[0m  (API docs: http://%s:%s/docs; Ctrl+C to stop)\n\n' "$HOST" "$PORT" "$HOST" "$PORT"
export HOST PORT
exec node --import tsx server/main.ts
