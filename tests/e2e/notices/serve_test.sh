#!/usr/bin/env bash
# `botwarden-notifier serve` wiring: the outbox thread sends notices for
# incidents ingested by another process, records them (incident notified),
# the enforcer thread writes and applies (nft -c: check only) the walled
# garden, GET /api/v1/walled-garden answers on loopback, and SIGTERM stops
# everything with exit 0.
# Usage: serve_test.sh LINKSIM SENSOR NOTIFIER SOURCE_DIR
set -euo pipefail
LINKSIM=$1 SENSOR=$2 NOTIFIER=$3 SRC=$4
HERE=$SRC/tests/e2e/notices
TMP=$(mktemp -d /tmp/bw-serve-XXXXXX)
SINK_PID="" SERVE_PID=""
cleanup() {
  [[ -n $SERVE_PID ]] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
  [[ -n $SINK_PID ]] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f $TMP/serve.log ]] && tail -20 "$TMP/serve.log" >&2; exit 1; }

"$LINKSIM" --scenario "$SRC/configs/scenarios/mixed.toml" --out "$TMP/link" >/dev/null
"$SENSOR" -c "$SRC/configs/botwarden.toml" --read "$TMP/link/capture.pcap" --events "$TMP/events.jsonl" \
  --no-progress >/dev/null 2>&1 || fail "sensor failed"

exec 3< <(/usr/bin/python3 "$HERE/smtp_sink.py" --maildir "$TMP/mail")
SINK_PID=$!
read -r ready smtp_port <&3
[[ $ready == READY ]] || fail "smtp_sink did not start"
web_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cat > "$TMP/botwarden.toml" <<TOML
[notifier]
database = "$TMP/bw.db"
log_level = "info"

[web]
listen = ["127.0.0.1:$web_port"]

[notices]
smtp_url = "smtp://127.0.0.1:$smtp_port"
templates_dir = "$SRC/configs/templates"
poll_seconds = 0.2

[enforce]
enabled = true
nft_file = "$TMP/walled-garden.nft"
ipset_file = "$TMP/walled-garden.ipset"
notice_page = "10.201.3.2:8080"
apply_command = ["nft", "-c", "-f", "{file}"]
poll_seconds = 0.2
TOML
N() { "$NOTIFIER" -c "$TMP/botwarden.toml" "$@"; }
N check >/dev/null
"$NOTIFIER" -c "$TMP/botwarden.toml" serve >"$TMP/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$web_port/api/v1/walled-garden" && break; sleep 0.1; done

N import-leases --format accounts "$TMP/link/accounts.csv" >/dev/null
N import-leases --format kea4 "$TMP/link/kea-leases4.csv" >/dev/null
N import-leases --format static-csv "$TMP/link/ipv6-delegations.csv" >/dev/null
N ingest "$TMP/events.jsonl" >/dev/null
attributed=$(N incidents list --json | /usr/bin/python3 -c '
import json, sys
print(len([i for i in json.load(sys.stdin) if i["account"] and not i["exempt"]]))')
(( attributed > 0 )) || fail "no attributed incidents"

for _ in $(seq 100); do
  (( $(N notices list --status sent | wc -l) == attributed )) && break
  sleep 0.1
done
sent=$(N notices list --status sent | wc -l)
(( sent == attributed )) || fail "serve sent $sent notices, expected $attributed"
delivered=$(find "$TMP/mail" -name '*.eml' | wc -l)
(( delivered == attributed )) || fail "$delivered messages arrived, expected $attributed"
notified=$(N incidents list --state notified | wc -l)
(( notified == attributed )) || fail "$notified incidents notified, expected $attributed"
echo "serve: $sent notices sent and recorded; incidents notified: $notified"

body=$(curl -s "http://127.0.0.1:$web_port/api/v1/walled-garden")
[[ $body == *'"accounts": 0'* && $body == *'"notice_page": "10.201.3.2:8080"'* ]] || fail "walled-garden API: $body"
[[ -s $TMP/walled-garden.nft ]] || fail "the enforcer wrote no ruleset"
grep -q "table inet botwarden" "$TMP/walled-garden.nft" || fail "ruleset without the table"

kill -TERM "$SERVE_PID"
status=0; wait "$SERVE_PID" || status=$?
SERVE_PID=""
(( status == 0 )) || fail "serve exited with $status after SIGTERM"
grep -Eq "^[^ ]+ (error|critical) " "$TMP/serve.log" && fail "serve logged an error"
echo "PASS serve"
