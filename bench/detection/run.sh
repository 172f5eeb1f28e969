#!/usr/bin/env bash
# Detection-quality benchmark: for each scenario:seed, generate a labelled
# capture with botwarden-linksim, run botwarden-sensor --events over it, then
# score all runs together with botwarden-detection-score (recall per bot
# kind, precision, false positives by benign kind, median time to detect).
# Exit status is the scorer's: 0 all targets met, 3 a target missed.
#
# Usage: bench/detection/run.sh [--build DIR] [--work DIR] [--config FILE]
#          [--run SCENARIO.toml:SEED]... [-- scorer options]
# Without --run: mixed.toml seeds 11 12 13, plus quality.toml seed 1 when it exists.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build
work=${TMPDIR:-/tmp}/botwarden-detection
config=configs/botwarden.toml
runs=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --run) runs+=("$2"); shift 2 ;;
    --) shift; break ;;
    *) echo "run.sh: unknown option $1 (see the comment at the top)" >&2; exit 2 ;;
  esac
done
if [[ ${#runs[@]} -eq 0 ]]; then
  runs=(configs/scenarios/mixed.toml:11 configs/scenarios/mixed.toml:12 configs/scenarios/mixed.toml:13)
  [[ -f configs/scenarios/quality.toml ]] && runs+=(configs/scenarios/quality.toml:1)
fi
linksim=$build/tools/linksim/botwarden-linksim
sensor=$build/sensor/botwarden-sensor
score=$build/bench/detection/botwarden-detection-score
for tool in "$linksim" "$sensor" "$score"; do
  [[ -x $tool ]] || { echo "run.sh: $tool is missing; build first (scripts/build.sh)" >&2; exit 1; }
done

mkdir -p "$work"
score_args=()
for run in "${runs[@]}"; do
  scenario=${run%:*}
  seed=${run##*:}
  out=$work/$(basename "$scenario" .toml)-$seed
  rm -rf "$out"
  start=$(date +%s.%N)
  "$linksim" --scenario "$scenario" --seed "$seed" --out "$out" >/dev/null
  "$sensor" -c "$config" --read "$out/capture.pcap" --events "$out/events.jsonl" --no-progress 2>"$out/sensor.log"
  end=$(date +%s.%N)
  printf '%s seed %s: %s events, %s bytes of capture, %.1f s\n' "$scenario" "$seed" \
    "$(wc -l <"$out/events.jsonl")" "$(stat -c %s "$out/capture.pcap")" "$(echo "$end - $start" | bc)"
  rm -f "$out/capture.pcap"  # large; labels and events are kept for inspection
  score_args+=(--labels "$out/labels.json" --events "$out/events.jsonl")
done
echo
exec "$score" "${score_args[@]}" --json "$work/figures.json" "$@"
