#!/usr/bin/env bash
# Runs the gazu tests against a tusk built by cargo: a fresh data folder, the
# database named by DATABASE_URL (default: SQLite in that folder), a free port.
# usage: tests/gazu/run.sh [path/to/tusk]   (needs a venv with gazu and pytest: see .ci/run)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tusk=${1:-$here/../../target/debug/tusk}
python=${PYTHON:-python3}
data=$(mktemp -d)
port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export TUSK_URL="http://127.0.0.1:$port"
export TUSK_ADMIN_EMAIL=admin@example.com
export TUSK_ADMIN_PASSWORD=gazu-admin-password
BCRYPT_LOG_ROUNDS=4 "$tusk" --data-dir "$data" --bind "127.0.0.1:$port" serve >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  curl -fs "$TUSK_URL/status" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { cat "$data/server.log"; exit 1; }
  sleep 0.2
done
"$python" -m pytest -q "$here" || { tail -50 "$data/server.log"; exit 1; }
