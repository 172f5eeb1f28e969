#!/usr/bin/env bash
# Bounded-memory benchmark (docs/PERFORMANCE.md): a random-port SYN flood to
# port 25 from random subscriber addresses (bench-synflood; 10 million SYNs by
# default) with one genuine SMTP session spread through it. Runs the sensor
# over it and reports wall time, peak RSS, the flow table's peak, and whether
# the genuine session's record is in the session log. Exit 1 when it is not,
# or when the table went over max_flows. The temp folder is deleted at the end.
#
# Usage: bench/sensor/run-flood.sh [--build DIR] [--work DIR] [--config FILE]
#          [--packets N] [--spacing N] [--subscribers N] [--keep]
# --subscribers N: then N distinct subscribers each send one short SMTP
# session (the subscriber-state benchmark; --packets 0 for it alone).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build-perf
work=
config=configs/botwarden.toml
packets=10000000
spacing=1000
subscribers=0
keep=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --packets) packets=$2; shift 2 ;;
    --spacing) spacing=$2; shift 2 ;;
    --subscribers) subscribers=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "run-flood.sh: unknown option: $1" >&2; exit 2 ;;
  esac
done
sensor=$build/sensor/botwarden-sensor
gen=$build/bench/sensor/bench-synflood
for f in "$sensor" "$gen"; do
  [[ -x $f ]] || { echo "run-flood.sh: $f missing: cmake --build $build --target botwarden-sensor bench-synflood" >&2; exit 2; }
done
[[ -z $work ]] && work=$(mktemp -d "${TMPDIR:-/tmp}/bw-sensor-flood.XXXXXX")
mkdir -p "$work"
cleanup() { [[ $keep == 1 ]] || rm -rf "$work"; }
trap cleanup EXIT

pcap=$work/flood.pcap
"$gen" "$pcap" "$packets" "$spacing" "$subscribers"
echo "# $packets SYNs + one genuine SMTP session (a packet every $spacing) + $subscribers subscribers with a session each, $(stat -c %s "$pcap") bytes; warming the page cache"
cat "$pcap" >/dev/null
/usr/bin/time -f "%e %M" -o "$work/time" "$sensor" --config "$config" --read "$pcap" \
  --smtp-log "$work/smtp.jsonl" --events /dev/null --no-progress 2>"$work/stderr"
read -r seconds rss_kb <"$work/time"
max_flows=$(awk -F'= *' '/^max_flows *=/ {print $2}' "$config")
max_flows=${max_flows:-100000}
peak=$(sed -n 's/.*peak open \([0-9]*\);.*/\1/p' "$work/stderr")
flows_line=$(grep -o 'SMTP flows .*' "$work/stderr" | head -1)
echo "sensor: ${seconds} s, peak RSS $((rss_kb / 1024)) MB, $(python3 -c "print(f'{($packets+19+13*$subscribers)/$seconds/1e6:.2f}')") Mpps"
echo "sensor: $flows_line"
grep -o 'detectors: .*' "$work/stderr" | head -1 | sed 's/^/sensor: /' || true
status=0
if [[ $peak -gt $max_flows ]]; then echo "FAIL: flow table peak $peak > max_flows $max_flows"; status=1; fi
if grep -q '"helo":"genuine.bench.example".*"mailfrom":"genuine@bench.example".*"partial":false' "$work/smtp.jsonl"; then
  echo "genuine session: in the session log, complete"
else
  echo "FAIL: the genuine session is not in the session log (complete)"; status=1
fi
exit $status
