#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the
# whole of botwarden on its embedded defaults, on this machine only:
#
#   botwarden-linksim   two generated captures of an ISP access link (the
#                       "mixed" scenario: ~200 subscribers, 40 of them bots),
#                       three hours ago and one hour ago, with the DHCP,
#                       RADIUS and IPv6-delegation records of the same link
#   botwarden-sensor    SMTP session log + detection events from each capture
#   botwarden-notifier  leases and accounts imported into SQLite, events
#                       ingested, incidents opened, remediation notices sent
#                       through a real SMTP server on loopback (aiosmtpd), the
#                       bots still spamming an hour after their notice put
#                       in the walled garden (nftables ruleset printed), the
#                       walled-garden notice page served to one of them, and
#                       the M3AAWG/CSRIC report of the period.
#
# Everything lands in out/demo/ (kept for reading afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
scripts/install-deps.sh
scripts/build.sh

LINKSIM=$ROOT/build/tools/linksim/botwarden-linksim
SENSOR=$ROOT/build/sensor/botwarden-sensor
NOTIFIER=$ROOT/build/notifier/botwarden-notifier
OUT=$ROOT/out/demo
PY=/usr/bin/python3   # Debian's python, with python3-aiosmtpd

SINK_PID="" SERVE_PID=""
cleanup() {
  [[ -n $SERVE_PID ]] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
  [[ -n $SINK_PID ]] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
  return 0
}
trap cleanup EXIT
step() { printf '\n== %s ==\n' "$*"; }
fail() { echo "demo: $*" >&2; exit 1; }

step "botwarden programs"
"$SENSOR" --version
"$NOTIFIER" --version
"$SENSOR" --config configs/botwarden.toml

rm -rf "$OUT"
mkdir -p "$OUT"

# Two captures of the same link, three hours and one hour ago (same seed:
# the same subscribers; the bots keep sending).
now=$(date -u +%s)
t0=$(( now / 60 * 60 - 3 * 3600 ))
t1=$(( t0 + 2 * 3600 ))
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
step "linksim: two captures of the demo link (docs/LINKSIM.md)"
for part in 1:$t0 2:$t1; do
  n=${part%%:*} t=${part#*:}
  sed "s/^start = .*/start = \"$(iso "$t")\"/" configs/scenarios/mixed.toml > "$OUT/scenario-$n.toml"
  "$LINKSIM" --scenario "$OUT/scenario-$n.toml" --out "$OUT/capture-$n" >/dev/null
  echo "capture $n: $OUT/capture-$n/capture.pcap, $(stat -c %s "$OUT/capture-$n/capture.pcap") bytes from $(iso "$t")"
done
echo "ground truth: $($PY -c 'import json,sys; s=json.load(open(sys.argv[1]))["subscribers"]; print(len(s), "subscribers,", sum(x["role"]=="bot" for x in s), "bots")' "$OUT/capture-1/labels.json")"

step "sensor: SMTP sessions and detections (docs/SENSOR.md, docs/DETECTION.md)"
for n in 1 2; do
  "$SENSOR" --config configs/botwarden.toml --read "$OUT/capture-$n/capture.pcap" --no-progress \
    --smtp-log "$OUT/smtp-$n.jsonl" --events "$OUT/events-$n.jsonl"
  echo "capture $n: $(wc -l <"$OUT/smtp-$n.jsonl") SMTP sessions" \
    "(direct-to-MX $(grep -c '"path":"direct"' "$OUT/smtp-$n.jsonl")," \
    "via the ISP relay $(grep -c '"path":"relay"' "$OUT/smtp-$n.jsonl")," \
    "submission $(grep -c '"path":"submission"' "$OUT/smtp-$n.jsonl"));" \
    "$(wc -l <"$OUT/events-$n.jsonl") detection events" \
    "(bad_helo $(grep -c '"detector":"bad_helo"' "$OUT/events-$n.jsonl")," \
    "direct_to_mx $(grep -c '"detector":"direct_to_mx"' "$OUT/events-$n.jsonl")," \
    "snowshoe $(grep -c '"detector":"snowshoe"' "$OUT/events-$n.jsonl"))"
done
echo "a session record:"
head -n 1 "$OUT/smtp-1.jsonl"
echo "a detection event:"
head -n 1 "$OUT/events-1.jsonl"
(( $(wc -l <"$OUT/events-1.jsonl") > 0 )) || fail "the sensor found nothing in capture 1"

# A real SMTP server on loopback stands in for the ISP's mail relay.
exec 3< <(exec "$PY" tests/e2e/notices/smtp_sink.py --maildir "$OUT/mail" --port 0)
SINK_PID=$!
read -r ready smtp_port <&3 || fail "the SMTP server (tests/e2e/notices/smtp_sink.py, python3-aiosmtpd) did not start"
[[ $ready == READY ]] || fail "the SMTP server said: $ready"
web_port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# The embedded defaults (configs/botwarden.toml) with paths into out/demo,
# the loopback SMTP server and web port, and a one-hour walled-garden delay
# so that the demo's two captures show it.
sed -e "s|^database = .*|database = \"$OUT/botwarden.db\"|" \
    -e "s|^templates_dir = .*|templates_dir = \"$ROOT/configs/templates\"|" \
    -e "s|^smtp_url = .*|smtp_url = \"smtp://127.0.0.1:$smtp_port\"|" \
    -e "s|^walled_garden_after_hours = .*|walled_garden_after_hours = 1|" \
    -e "s|^listen = .*|listen = [\"127.0.0.1:$web_port\"]|" \
    -e "s|^trusted_proxies = .*|trusted_proxies = [\"127.0.0.1/32\"]|" \
    -e "s|^log_level = .*|log_level = \"warn\"|" \
    -e "s|^nft_file = .*|nft_file = \"$OUT/walled-garden.nft\"|" \
    -e "s|^ipset_file = .*|ipset_file = \"$OUT/walled-garden.ipset\"|" \
    configs/botwarden.toml > "$OUT/botwarden.toml"
N() { "$NOTIFIER" --config "$OUT/botwarden.toml" "$@"; }
N check

step "notifier: accounts and lease history into SQLite (docs/MAPPING.md)"
N import-leases --format accounts "$OUT/capture-1/accounts.csv"
N import-leases --format kea4 "$OUT/capture-1/kea-leases4.csv"
N import-leases --format radius "$OUT/capture-1/radius-detail"
N import-leases --format static-csv "$OUT/capture-1/ipv6-delegations.csv"

step "notifier: detections of capture 1 become incidents (docs/INCIDENTS.md)"
N ingest "$OUT/events-1.jsonl"
N incidents list | sed -n 1,8p  # sed reads it all: head would end the writer with SIGPIPE (pipefail)
echo "..."

step "notices: remediation emails through the SMTP server, ten minutes after capture 1 (docs/NOTICES.md)"
for _ in 1 2 3 4 5 6 7 8 9 10; do   # [notices] batch_size per round
  round=$(N notices send --now "$(iso $(( t0 + 600 )))")
  echo "$round"
  [[ $round == *"queued 0, sent 0,"* ]] && break
done
first=$(find "$OUT/mail" -name '*.eml' | sort | sed -n 1p)
[[ -n $first ]] || fail "no notice reached the SMTP server"
echo "$(find "$OUT/mail" -name '*.eml' | wc -l) notices in $OUT/mail; the first, as the subscriber receives it:"
$PY - "$first" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
for h in ("From", "To", "Reply-To", "Subject", "Date", "Auto-Submitted"):
    print(f"{h}: {m[h]}")
print()
print(m.get_body(("plain",)).get_content().strip())
PY

step "two hours later: capture 2's detections; bots still sending are walled (docs/WALLED_GARDEN.md)"
N ingest "$OUT/events-2.jsonl"
N tick
for _ in 1 2 3 4 5 6 7 8 9 10; do   # the walled-garden notices
  round=$(N notices send)
  echo "$round"
  [[ $round == *"queued 0, sent 0,"* ]] && break
done
echo "incidents by state: $(N incidents list --json | $PY -c '
import collections, json, sys
c = collections.Counter(i["state"] for i in json.load(sys.stdin))
print(", ".join(f"{k} {v}" for k, v in sorted(c.items())))')"
N enforce --print > "$OUT/walled-garden.nft"
echo "nftables ruleset for the policy router ($OUT/walled-garden.nft):"
sed -n '1,40p' "$OUT/walled-garden.nft"

step "web: the walled-garden notice page a walled subscriber sees (docs/WEB.md)"
N serve > "$OUT/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$web_port/" && break
  kill -0 "$SERVE_PID" 2>/dev/null || fail "serve stopped: $(cat "$OUT/serve.log")"
  sleep 0.1
done
walled=$(curl -sf "http://127.0.0.1:$web_port/api/v1/walled-garden" | $PY -c '
import json, sys
for r in json.load(sys.stdin)["walled"]:
    for p in r["prefixes"]:
        if ":" not in p:
            print(r["account"], p.split("/")[0]); sys.exit(0)
') || true
[[ -n $walled ]] || fail "no walled IPv4 subscriber to show"
read -r account address <<<"$walled"
echo "account $account, address $address, opens http://www.example.com/ and is redirected to the notice page:"
curl -sf -H "X-Forwarded-For: $address" -H "Host: www.example.com" "http://127.0.0.1:$web_port/" > "$OUT/notice-page.html"
$PY - "$OUT/notice-page.html" <<'PY'
import html.parser, sys
class Text(html.parser.HTMLParser):
    skip = 0; out = []
    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "head"): self.skip += 1
    def handle_endtag(self, tag):
        if tag in ("style", "script", "head"): self.skip -= 1
    def handle_data(self, data):
        if not self.skip and data.strip(): self.out.append(" ".join(data.split()))
t = Text(); t.feed(open(sys.argv[1], encoding="utf-8").read())
print("\n".join("  " + line for line in t.out[:40]))
PY
echo "(the whole page: $OUT/notice-page.html)"

step "M3AAWG/CSRIC report of the period (docs/METRICS.md)"
N report --from "$(iso "$t0")" --to "$(iso $(( now + 60 )))" --format json > "$OUT/report.json"
$PY - "$OUT/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
def show(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict): show(v, prefix + k + ".")
        elif not isinstance(v, list): print(f"  {prefix}{k}: {v}")
show(r)
PY
N report --from "$(iso "$t0")" --to "$(iso $(( now + 60 )))" --format html --out "$OUT/report.html"
echo "(HTML report with charts: $OUT/report.html)"

kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true; SERVE_PID=""
step "done: everything above is in $OUT"
