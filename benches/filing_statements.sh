#!/bin/bash
# Statements PostgreSQL runs per single filing (POST /firms/{id}/ledger), counted from its log
# with `log_statement = all` set on a scratch database only (see docs/performance.md).
#
#   benches/filing_statements.sh BINARY [N] [CLIENTS]
#
# Starts BINARY on a fresh database, files one warm-up entry, then N entries one after another
# (each a group of one), N with an Idempotency-Key, and N from CLIENTS concurrent clients (32);
# prints statements per filing and per transaction for each. Needs PostgreSQL at
# 127.0.0.1:5432 (user postgres, trust) and read access to its log (PG_LOG).
set -euo pipefail
BIN=$1; N=${2:-20}; CLIENTS=${3:-32}
LOG=${PG_LOG:-/var/log/postgresql/postgresql-15-main.log}
PSQL="psql -qX -U postgres -h 127.0.0.1 -d test"
DB=filing_statements_$$
PORT=${PORT:-18181}
B=http://127.0.0.1:$PORT/api/v1
DIR=$(mktemp -d)
$PSQL -c "CREATE DATABASE $DB"
$PSQL -c "ALTER DATABASE $DB SET log_statement = 'all'"
# No background work beside the filings: no validation, checkpoints or alert polling.
PRECURSOR_ADMIN_PASSWORD=benchmark-password-1 PRECURSOR_FILING_RATE_LIMIT_PER_MINUTE=0 \
PRECURSOR_CONTINUOUS_VALIDATION_SECONDS=0 PRECURSOR_CHECKPOINT_INTERVAL_SECONDS=0 \
PRECURSOR_ALERT_POLL_MS=3600000 \
  "$BIN" serve --data-dir "$DIR" --database-url "postgres://postgres@127.0.0.1:5432/$DB" \
  --bind "127.0.0.1:$PORT" >"$DIR/out" 2>&1 &
PID=$!
trap 'kill $PID; sleep 1; $PSQL -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.3; done
post() { curl -s -X POST "$B$1" -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} -d "$2"; }
login() { post /auth/login "{\"username\":\"$1\",\"password\":\"benchmark-password-1\"}" | jq -r .access_token; }
ADMIN=$(login admin)
post /users '{"username":"s.regulator","password":"benchmark-password-1","role":"regulator"}' "$ADMIN" >/dev/null
REG=$(login s.regulator)
FIRM=$(post /firms '{"name":"计数企业","credit_code":"91350902MB00000010","region_code":"350902","address":"宁德","activities":["use"]}' "$REG" | jq -r .id)
post /users '{"username":"s.clerk","password":"benchmark-password-1","role":"enterprise","firm_id":"'"$FIRM"'"}' "$ADMIN" >/dev/null
CLERK=$(login s.clerk)
CHEM=$(curl -s "$B/chemicals?q=67-64-1" -H "Authorization: Bearer $CLERK" | jq -r '.items[0].id')
entry() { echo '{"kind":"production","chemical_id":"'"$CHEM"'","lot":"L'"$1"'","quantity":"1.500","occurred_at":"2026-03-01T08:00:00Z","warehouse":"W1","note":"计数"}'; }
file() { # file I [KEY]
  curl -s -o /dev/null -w '%{http_code}\n' -X POST "$B/firms/$FIRM/ledger" -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $CLERK" ${2:+-H "Idempotency-Key: $2"} -d "$(entry "$1")"
}
export -f file entry; export B FIRM CLERK CHEM
file 0 >/dev/null
sleep 0.5
# count LABEL FILINGS CMD...: runs CMD and counts the statements logged meanwhile.
count() {
  local label=$1 filings=$2; shift 2
  local from; from=$(wc -l <"$LOG")
  local codes bad; codes=$("$@"); bad=$(echo "$codes" | grep -vc '^201$' || true)
  [ "$bad" = 0 ] || echo "  ($bad of the filings were not answered 201)"
  sleep 0.5
  tail -n +"$((from + 1))" "$LOG" | grep "@$DB " | grep -E 'LOG:  (statement|execute)' >"$DIR/$label.log" || true
  local all tx; all=$(wc -l <"$DIR/$label.log"); tx=$(grep -c 'statement: BEGIN' "$DIR/$label.log" || true)
  printf '%-34s %5d filings %6d statements %6.2f per filing %4d transactions\n' \
    "$label" "$filings" "$all" "$(echo "$all / $filings" | bc -l)" "$tx"
}
sequential() { for i in $(seq "$N"); do file "$i"; done; }
keyed() { for i in $(seq "$N"); do file "$i" "k$i"; done; }
concurrent() { seq "$N" | xargs -P "$CLIENTS" -I{} bash -c 'file {}'; }
count "one after another" "$N" sequential
count "one after another, with a key" "$N" keyed
count "$CLIENTS clients at once" "$N" concurrent
