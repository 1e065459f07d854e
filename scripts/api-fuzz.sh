#!/usr/bin/env bash
# API fuzzing: schemathesis against the OpenAPI document of a demo server.
#
#   bash scripts/api-fuzz.sh            (builds target/debug/courrier if needed)
#   API_FUZZ_BIN=path/to/courrier bash scripts/api-fuzz.sh
#
# Starts `courrier serve --demo` on a free port with a fresh data folder,
# creates API keys for the demo customer's and the demo mail center's
# organisations with every permission their kind allows, and runs schemathesis
# against /api/v1/openapi.json with each key. Fails on any 5xx, any response
# that does not match the schema of its operation and any undocumented status.
# API_FUZZ_EXAMPLES bounds the examples per operation (default 20).
set -euo pipefail
exec </dev/null

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SCHEMATHESIS_VERSION="4.32.5"
EXAMPLES="${API_FUZZ_EXAMPLES:-20}"
die() { printf 'api-fuzz.sh: %s\n' "$*" >&2; exit 1; }

if ! command -v cargo >/dev/null 2>&1 && [[ -x "${HOME:-/root}/.cargo/bin/cargo" ]]; then
  export PATH="${HOME:-/root}/.cargo/bin:$PATH"
fi
PY_SCRIPTS="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
export PATH="$PY_SCRIPTS:$PATH"
if [[ "$(schemathesis --version 2>/dev/null || true)" != *"$SCHEMATHESIS_VERSION"* ]]; then
  echo "installing schemathesis $SCHEMATHESIS_VERSION"
  python3 -m pip install -q "schemathesis==$SCHEMATHESIS_VERSION" || die "pip install schemathesis failed"
fi

BIN="${API_FUZZ_BIN:-}"
if [[ -z "$BIN" ]]; then
  cargo build -q -p courrier
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/courrier"
  case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
fi
[[ -x "$BIN" ]] || die "no courrier binary at $BIN"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# A fresh data folder: SQLite file, blobs and master key of its own; no
# outside services (no SMTP, no clamd) so nothing but Courrier answers.
export COURRIER_DATA_DIR="$WORK/data"
# Thousands of requests from two keys: the per-organisation rate limit would
# answer most of them 429 and hide the operations behind it.
export COURRIER_API_RATE_LIMIT=0
unset COURRIER_DATABASE_URL COURRIER_BLOB_STORE COURRIER_SMTP_URL COURRIER_CLAMD COURRIER_CONFIG 2>/dev/null || true
"$BIN" demo >"$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log" >&2; die "courrier demo failed"; }

org_id() {
  python3 - "$COURRIER_DATA_DIR/courrier.sqlite3" "$1" <<'PY'
import sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute("SELECT id FROM orgs WHERE name = ?", (sys.argv[2],)).fetchone()
if row is None:
    sys.exit(f"no organisation named {sys.argv[2]!r}")
print(row[0])
PY
}
api_key() { # org name, permissions
  local org
  org="$(org_id "$1")"
  "$BIN" apikey create --org "$org" --name "api fuzzing" --permissions "$2" 2>>"$WORK/apikey.log"
}
CUSTOMER_KEY="$(api_key "Helvetia Fiduciaire SA" \
  users.manage,apikeys.manage,audit.read,org.settings,letters.send,letters.approve,letters.read,mailbox.read,mailbox.act,money.view)"
CENTER_KEY="$(api_key "Centre courrier Lausanne" \
  users.manage,apikeys.manage,audit.read,org.settings,mailcenter.operate,money.view)"

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
"$BIN" serve --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; die "the server stopped"; }
  sleep 0.5
done
curl -fsS "$BASE/healthz" >/dev/null || die "the server did not answer on $BASE"

failed=()
# One worker: with two, schemathesis' threads share CPython 3.11's AST
# converter (hypothesis describes lambdas with it) and it fails at random with
# "AST constructor recursion depth mismatch", an error of the tool, not of Courrier.
run() { # name, key
  echo "== schemathesis as $1 (at most $EXAMPLES examples per operation)"
  if ! schemathesis run "$BASE/api/v1/openapi.json" \
    --header "Authorization: Bearer $2" \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance \
    --max-examples "$EXAMPLES" \
    --seed "${API_FUZZ_SEED:-1}" \
    --workers 1 \
    --request-timeout 30 \
    --suppress-health-check all \
    --report junit --report-dir "${API_FUZZ_REPORT_DIR:-$ROOT/target/api-fuzz}/$1" \
    --warnings off; then
    failed+=("$1")
  fi
}
run customer "$CUSTOMER_KEY"
run mail-center "$CENTER_KEY"

if grep -q "panicked" "$WORK/server.log"; then
  grep -B2 -A10 "panicked" "$WORK/server.log" >&2
  failed+=("server panic")
fi
if ((${#failed[@]})); then
  tail -n 40 "$WORK/server.log" >&2
  die "findings: ${failed[*]}"
fi
echo "api-fuzz.sh: no findings"
