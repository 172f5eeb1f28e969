#!/usr/bin/env bash
# The whole path, with a real SMTP server on loopback (aiosmtpd):
#   botwarden-linksim (mixed scenario) -> botwarden-sensor --events
#   -> botwarden-notifier import-leases + ingest -> notices send (outbox)
# Half the events first, server up: notices go out. Server stopped, the rest
# ingested: the new notices stay queued. Server restarted: everything queued
# is delivered, and nothing twice. check_mailboxes.py then compares every
# mailbox with linksim's ground truth (labels.json).
# Usage: pipeline_test.sh LINKSIM SENSOR NOTIFIER SOURCE_DIR
set -euo pipefail
LINKSIM=$1 SENSOR=$2 NOTIFIER=$3 SRC=$4
HERE=$SRC/tests/e2e/notices
TMP=$(mktemp -d /tmp/bw-pipeline-XXXXXX)
SINK_PID=""
cleanup() {
  [[ -n $SINK_PID ]] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

start_sink() {  # start_sink PORT -> sets SINK_PID, SINK_PORT
  exec 3< <(/usr/bin/python3 "$HERE/smtp_sink.py" --maildir "$TMP/mail" --port "$1")
  SINK_PID=$!
  read -r ready port <&3 || fail "smtp_sink did not start"
  [[ $ready == READY ]] || fail "smtp_sink said: $ready"
  SINK_PORT=$port
}
stop_sink() { kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null || true; SINK_PID=""; }

"$LINKSIM" --scenario "$SRC/configs/scenarios/mixed.toml" --out "$TMP/link" >/dev/null
"$SENSOR" -c "$SRC/configs/botwarden.toml" --read "$TMP/link/capture.pcap" --events "$TMP/events.jsonl" \
  --no-progress >/dev/null 2>&1 || fail "sensor failed"
events=$(wc -l < "$TMP/events.jsonl")
(( events > 0 )) || fail "the sensor found no events"

start_sink 0
cat > "$TMP/botwarden.toml" <<TOML
[notifier]
database = "$TMP/bw.db"
log_level = "warn"

[notices]
smtp_url = "smtp://127.0.0.1:$SINK_PORT"
templates_dir = "$SRC/configs/templates"
backoff_initial_seconds = 1
backoff_max_seconds = 2
TOML
N() { "$NOTIFIER" -c "$TMP/botwarden.toml" "$@"; }
N import-leases --format accounts "$TMP/link/accounts.csv" >/dev/null
N import-leases --format kea4 "$TMP/link/kea-leases4.csv" >/dev/null
N import-leases --format static-csv "$TMP/link/ipv6-delegations.csv" >/dev/null

half=$(( events / 2 ))
head -n "$half" "$TMP/events.jsonl" > "$TMP/events-1.jsonl"
tail -n +"$(( half + 1 ))" "$TMP/events.jsonl" > "$TMP/events-2.jsonl"
N ingest "$TMP/events-1.jsonl" >/dev/null
out=$(N notices send)
echo "round 1 (server up): $out"
[[ $out =~ ^queued\ ([0-9]+),\ sent\ ([0-9]+),\ retry\ ([0-9]+),\ failed\ 0$ ]] || fail "unexpected: $out"
sent1=${BASH_REMATCH[2]}
(( sent1 > 0 )) || fail "nothing sent in round 1"

stop_sink
N ingest "$TMP/events-2.jsonl" >/dev/null
out=$(N notices send)
echo "round 2 (server down): $out"
[[ $out =~ ^queued\ ([0-9]+),\ sent\ 0,\ retry\ ([0-9]+),\ failed\ 0$ ]] || fail "unexpected: $out"
queued2=${BASH_REMATCH[1]}
(( queued2 > 0 )) || fail "no new notices after the second half of the events"
waiting=$(N notices list --status queued | wc -l)
(( waiting == queued2 )) || fail "$waiting notices queued while the server is down, expected $queued2"
N notices list --status queued | grep -q "Failed to connect" || fail "queued notices do not say why"

start_sink "$SINK_PORT"
sleep 1.2   # backoff_initial_seconds
out=$(N notices send)
echo "round 3 (server back): $out"
[[ $out == "queued 0, sent $queued2, retry 0, failed 0" ]] || fail "unexpected: $out"
out=$(N notices send)
[[ $out == "queued 0, sent 0, retry 0, failed 0" ]] || fail "a further round sent again: $out"
(( $(N notices list --status queued | wc -l) == 0 )) || fail "notices left in the queue"

N incidents list --json > "$TMP/incidents.json"
/usr/bin/python3 "$HERE/check_mailboxes.py" "$TMP/link/labels.json" "$TMP/link/accounts.csv" "$TMP/mail" \
  "$TMP/incidents.json"
echo "PASS pipeline: $sent1 + $queued2 notices, each delivered exactly once"
