#!/usr/bin/env bash
# Sensor throughput benchmark (docs/PERFORMANCE.md). Generates linksim's large
# scenario (~2 GB) into a temp folder, warms the page cache by reading it once,
# then measures in ONE run, side by side on the same warm file:
#   bare   bench-pcap-count (fopen + 1 MiB setvbuf + pcap_fopen_offline + pcap_next_ex, count only)
#   plain  bench-pcap-count --plain (read() of 1 MiB blocks walking the records: the page-cache ceiling)
#   ndpi   ndpiReader -i FILE -q                           (Debian libndpi-bin)
#   tcpd   tcpdump -r FILE -w /dev/null 'tcp port 25 or (vlan and tcp port 25)'
#   sensor botwarden-sensor --config configs/botwarden.toml --read FILE --smtp-log /dev/null --events /dev/null --no-progress
#   sensor-libpcap  the same with --libpcap-reader (every record through pcap_next_ex)
# wall seconds (date +%s%N), packets/s, Gbit/s (captured bytes), peak RSS (/usr/bin/time -v),
# ratios to the bare loop and to ndpiReader; then instructions/packet from
# callgrind on a 50k-packet slice from the middle of the file (sensor vs bare
# loop; startup cost removed by subtracting a 1-packet run).
# Takes several minutes; not a CTest test. The temp folder is deleted at the end.
#
# Usage: bench/sensor/run.sh [--build DIR] [--work DIR] [--scenario FILE]
#          [--config FILE] [--no-ndpi] [--no-callgrind] [--keep] [-- extra sensor args]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build-perf
work=
scenario=configs/scenarios/isp-link.toml
config=configs/botwarden.toml
ndpi=1
callgrind=1
keep=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --scenario) scenario=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --no-ndpi) ndpi=0; shift ;;
    --no-callgrind) callgrind=0; shift ;;
    --keep) keep=1; shift ;;
    --) shift; break ;;
    *) echo "run.sh: unknown option: $1" >&2; exit 2 ;;
  esac
done
extra=("$@")
sensor=$build/sensor/botwarden-sensor
bare=$build/bench/sensor/bench-pcap-count
linksim=$build/tools/linksim/botwarden-linksim
for f in "$sensor" "$bare" "$linksim"; do
  [[ -x $f ]] || { echo "run.sh: $f missing: cmake --build $build --target botwarden-sensor bench-pcap-count linksim" >&2; exit 2; }
done
for t in /usr/bin/time ndpiReader tcpdump valgrind editcap python3; do
  command -v "$t" >/dev/null || { echo "run.sh: $t missing (scripts/install-deps.sh)" >&2; exit 2; }
done
if [[ -z $work ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/bw-sensor-bench.XXXXXX")
fi
mkdir -p "$work"
cleanup() { [[ $keep == 1 ]] || rm -rf "$work"; }
trap cleanup EXIT

pcap=$work/capture.pcap
if [[ ! -s $pcap ]]; then
  echo "# generating $scenario into $work"
  "$linksim" --scenario "$scenario" --out "$work" >/dev/null
fi
size=$(stat -c %s "$pcap")
echo "# warming the page cache: reading $pcap ($size bytes) once"
cat "$pcap" >/dev/null

# measure NAME CMD...: wall seconds (clock_gettime through date +%s%N; the
# 10 ms resolution of /usr/bin/time is too coarse here) and peak RSS from /usr/bin/time -v.
declare -A wall rss
measure() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -v -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" || {
    echo "run.sh: $name failed:" >&2; tail -5 "$work/$name.err" >&2; exit 1; }
  t1=$(date +%s%N)
  wall[$name]=$(python3 -c "print(($t1 - $t0) / 1e9)")
  rss[$name]=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/$name.time")
}

measure bare "$bare" "$pcap"
read -r packets _ bytes _ <"$work/bare.out"
measure plain "$bare" --plain "$pcap"
[[ $ndpi == 1 ]] && measure ndpi ndpiReader -i "$pcap" -q
measure tcpd tcpdump -r "$pcap" -w /dev/null 'tcp port 25 or (vlan and tcp port 25)'
measure sensor "$sensor" --config "$config" --read "$pcap" --smtp-log /dev/null --events /dev/null --no-progress "${extra[@]}"
measure sensorlp "$sensor" --config "$config" --read "$pcap" --libpcap-reader --smtp-log /dev/null --events /dev/null --no-progress "${extra[@]}"

echo "# $packets packets, $bytes captured bytes, warm page cache, one run, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$packets" "$bytes" "${wall[bare]}" "${rss[bare]}" "${wall[ndpi]:-0}" "${rss[ndpi]:-0}" \
  "${wall[tcpd]}" "${rss[tcpd]}" "${wall[sensor]}" "${rss[sensor]}" "${wall[plain]}" "${rss[plain]}" \
  "${wall[sensorlp]}" "${rss[sensorlp]}" <<'PY'
import sys
a = sys.argv[1:]
packets, nbytes = int(a[0]), int(a[1])
rows = [("bare libpcap loop", float(a[2]), int(a[3])), ("ndpiReader -q", float(a[4]), int(a[5])),
        ("plain read() loop", float(a[10]), int(a[11])),
        ("tcpdump port 25", float(a[6]), int(a[7])), ("botwarden-sensor", float(a[8]), int(a[9])),
        ("sensor, libpcap rd", float(a[12]), int(a[13]))]
bare = rows[0][1]; ndpi = rows[1][1]
print(f"{'program':<20}{'s':>8}{'Mpps':>8}{'Gbit/s':>8}{'RSS MB':>8}{'x bare rate':>12}{'x ndpiReader':>14}")
for name, s, kb in rows:
    if s <= 0: continue
    s = max(s, 0.01)
    print(f"{name:<20}{s:8.3f}{packets/s/1e6:8.2f}{nbytes*8/s/1e9:8.2f}{kb/1024:8.0f}"
          f"{bare/s:12.2f}{(ndpi/s if ndpi > 0 else float('nan')):14.1f}")
PY

if [[ $callgrind == 1 ]]; then
  # A 50k-packet slice from the middle of the file, and a 1-packet file for startup.
  half=$((packets / 2))
  editcap -F pcap -r "$pcap" "$work/slice.pcap" "$half-$((half + 49999))"
  editcap -F pcap -r "$pcap" "$work/one.pcap" "$half-$half"
  ir() {  # ir FILE CMD... -> total instructions
    local out=$1; shift
    valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>"$out.log"
    awk '/^summary:/ {print $2}' "$out"
  }
  b50=$(ir "$work/cg.bare50" "$bare" "$work/slice.pcap"); b1=$(ir "$work/cg.bare1" "$bare" "$work/one.pcap")
  s50=$(ir "$work/cg.sensor50" "$sensor" --config "$config" --read "$work/slice.pcap" --smtp-log /dev/null --events /dev/null --no-progress "${extra[@]}")
  s1=$(ir "$work/cg.sensor1" "$sensor" --config "$config" --read "$work/one.pcap" --smtp-log /dev/null --events /dev/null --no-progress "${extra[@]}")
  l50=$(ir "$work/cg.sensorlp50" "$sensor" --config "$config" --read "$work/slice.pcap" --libpcap-reader --smtp-log /dev/null --events /dev/null --no-progress "${extra[@]}")
  l1=$(ir "$work/cg.sensorlp1" "$sensor" --config "$config" --read "$work/one.pcap" --libpcap-reader --smtp-log /dev/null --events /dev/null --no-progress "${extra[@]}")
  n50=0; n1=0
  if [[ $ndpi == 1 ]]; then
    n50=$(ir "$work/cg.ndpi50" ndpiReader -i "$work/slice.pcap" -q); n1=$(ir "$work/cg.ndpi1" ndpiReader -i "$work/one.pcap" -q)
  fi
  python3 - "$b50" "$b1" "$s50" "$s1" "$l50" "$l1" "$n50" "$n1" <<'PY'
import sys
b50, b1, s50, s1, l50, l1, n50, n1 = map(int, sys.argv[1:])
b = (b50 - b1) / 49999; s = (s50 - s1) / 49999; l = (l50 - l1) / 49999
print(f"callgrind, 50k packets from the middle: bare loop {b:.0f} instructions/packet, "
      f"sensor {s:.0f} instructions/packet (bare/sensor {b/s:.2f}), "
      f"sensor with --libpcap-reader {l:.0f} (bare/sensor {b/l:.2f}; its own work {l-b:.0f}/packet)")
if n50 > 0:
    n = (n50 - n1) / 49999
    print(f"callgrind: ndpiReader {n:.0f} instructions/packet = {n/s:.1f}x the sensor's")
PY
fi
