#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs
# botwarden on its embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
echo
echo "== botwarden programs =="
for p in build/sensor/botwarden-sensor build/notifier/botwarden-notifier; do
  "$p" --version
  "$p" --config configs/botwarden.toml
done

echo
echo "== linksim: the demo capture (docs/LINKSIM.md) =="
build/tools/linksim/botwarden-linksim --scenario configs/scenarios/mixed.toml --out build/demo/mixed

echo
echo "== sensor: SMTP sessions in the demo capture (docs/SENSOR.md) =="
if [[ -x build/tools/linksim/botwarden-linksim ]]; then
  build/tools/linksim/botwarden-linksim --scenario configs/scenarios/mixed.toml --seed 1 --out out/demo
  build/sensor/botwarden-sensor --config configs/botwarden.toml --read out/demo/capture.pcap \
    --smtp-log out/demo/smtp.jsonl --events out/demo/events.jsonl
  echo "session log out/demo/smtp.jsonl: $(wc -l <out/demo/smtp.jsonl) records;" \
    "direct-to-MX $(grep -c '"path":"direct"' out/demo/smtp.jsonl)," \
    "via the ISP relay $(grep -c '"path":"relay"' out/demo/smtp.jsonl)," \
    "submission $(grep -c '"path":"submission"' out/demo/smtp.jsonl)," \
    "refused by the server $(grep -c '"rejected":true' out/demo/smtp.jsonl)"
  echo "first record:"
  head -n 1 out/demo/smtp.jsonl
  echo "detections out/demo/events.jsonl (docs/DETECTION.md): $(wc -l <out/demo/events.jsonl) events;" \
    "bad_helo $(grep -c '"detector":"bad_helo"' out/demo/events.jsonl)," \
    "direct_to_mx $(grep -c '"detector":"direct_to_mx"' out/demo/events.jsonl)," \
    "snowshoe $(grep -c '"detector":"snowshoe"' out/demo/events.jsonl)"
else
  echo "(build/tools/linksim/botwarden-linksim not built: skipped)"
fi
