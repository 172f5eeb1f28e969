#!/usr/bin/env bash
# Multi-core sensor benchmark (docs/PERFORMANCE.md, "Workers"). On one
# capture (linksim's large scenario by default, generated into a temp folder,
# or --pcap FILE), with a warm page cache:
#   end to end   botwarden-sensor --workers 1 and --workers 2 (the file read,
#                the reader's dispatch, the workers, the merge, session log and
#                detectors), REPEAT runs each: median wall seconds, packets/s,
#                ratio, peak RSS (of the last run)
#   in memory    bench-sensor-workers: the worker stage alone (dispatch done
#                before the clock starts) and the whole pool, 1 and 2 workers
# and checks that both sensor runs wrote the same session log and events.
# Prints the load average before and after: on a busy machine the ratios mean little.
#
# Usage: bench/sensor/run-workers.sh [--build DIR] [--work DIR] [--scenario FILE | --pcap FILE]
#          [--config FILE] [--repeat N] [--keep]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build-perf
work=
scenario=configs/scenarios/large.toml
pcap=
config=configs/botwarden.toml
repeat=3
keep=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --scenario) scenario=$2; shift 2 ;;
    --pcap) pcap=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "run-workers.sh: unknown option: $1" >&2; exit 2 ;;
  esac
done
sensor=$build/sensor/botwarden-sensor
stage=$build/bench/sensor/bench-sensor-workers
linksim=$build/tools/linksim/botwarden-linksim
for f in "$sensor" "$stage" "$linksim"; do
  [[ -x $f ]] || { echo "run-workers.sh: $f missing: cmake --build $build --target botwarden-sensor bench-sensor-workers botwarden-linksim" >&2; exit 2; }
done
if [[ -z $work ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/bw-workers-bench.XXXXXX")
fi
mkdir -p "$work"
cleanup() { [[ $keep == 1 ]] || rm -rf "$work"; }
trap cleanup EXIT
if [[ -z $pcap ]]; then
  pcap=$work/capture.pcap
  if [[ ! -s $pcap ]]; then
    echo "# generating $scenario into $work"
    "$linksim" --scenario "$scenario" --out "$work" >/dev/null
  fi
fi
echo "# warming the page cache: reading $pcap ($(stat -c %s "$pcap") bytes) once"
cat "$pcap" >/dev/null
echo "# $(nproc) CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# End to end: REPEAT runs of each worker count, alternating.
declare -A runs rss
for ((r = 0; r < repeat; r++)); do
  for w in 1 2; do
    t0=$(date +%s%N)
    /usr/bin/time -f %M -o "$work/rss$w" "$sensor" --config "$config" --read "$pcap" --workers "$w" --smtp-log "$work/log$w.jsonl" \
      --events "$work/events$w.jsonl" --no-progress 2>"$work/sensor$w.err" || {
      echo "run-workers.sh: sensor --workers $w failed:" >&2; tail -5 "$work/sensor$w.err" >&2; exit 1; }
    t1=$(date +%s%N)
    runs[$w]="${runs[$w]:-} $(( (t1 - t0) / 1000 ))"
    rss[$w]=$(cat "$work/rss$w")
  done
done
packets=$(sed -n 's/.*info sensor: packets \([0-9]*\),.*/\1/p' "$work/sensor1.err")
if cmp -s "$work/log1.jsonl" "$work/log2.jsonl" && cmp -s "$work/events1.jsonl" "$work/events2.jsonl"; then
  same="identical session log ($(wc -l <"$work/log1.jsonl") records) and events ($(wc -l <"$work/events1.jsonl"))"
else
  same="OUTPUTS DIFFER between 1 and 2 workers"
fi
python3 - "$packets" "${runs[1]}" "${runs[2]}" "${rss[1]}" "${rss[2]}" <<'PY'
import statistics, sys
packets = int(sys.argv[1])
one = statistics.median(int(x) for x in sys.argv[2].split()) / 1e6
two = statistics.median(int(x) for x in sys.argv[3].split()) / 1e6
print(f"{'end to end':<12}{'workers':>8}{'seconds':>10}{'packets/s':>13}{'ratio':>8}{'peak RSS MB':>13}")
print(f"{'sensor':<12}{1:>8}{one:10.3f}{packets/one:13.0f}{1.0:8.2f}{int(sys.argv[4])/1024:13.0f}")
print(f"{'sensor':<12}{2:>8}{two:10.3f}{packets/two:13.0f}{one/two:8.2f}{int(sys.argv[5])/1024:13.0f}")
PY
echo "# $same"
echo "# in memory (bench-sensor-workers):"
"$stage" "$config" "$pcap" "$repeat" 2
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
