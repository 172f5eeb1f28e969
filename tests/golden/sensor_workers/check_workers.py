#!/usr/bin/python3
"""--workers N must not change what the sensor finds.

Generates a linksim capture, runs botwarden-sensor on it with --workers 1, 2
and 3, and checks that every run gives the same non-empty set of detection
event ids and the same session-log records (as sets of lines; the files are
in fact byte-identical, which is checked too, since the merge restores the
single pipeline's order). A second pass cuts the capture at 60 % of its
packets, drops the FIN and RST packets of every other connection (tshark)
and uses a 1-second flow idle timeout, so that flows also end idle and at
the end of input; that pass takes the worker count from [sensor]
workers in the configuration for one run.

  check_workers.py --sensor BIN --linksim BIN --scenario TOML --config TOML
"""
import argparse
import json
import os
import re
import struct
import subprocess
import sys
import tempfile


def cut_pcap(src, dst, fraction):
    """Writes the first `fraction` of the packets of classic pcap `src` to `dst`."""
    with open(src, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise SystemExit("check_workers: %s is not a classic pcap file" % src)
    offsets = []
    pos = 24
    while pos + 16 <= len(data):
        offsets.append(pos)
        caplen = struct.unpack(endian + "I", data[pos + 8:pos + 12])[0]
        pos += 16 + caplen
    keep = int(len(offsets) * fraction)
    end = offsets[keep] if keep < len(offsets) else len(data)
    with open(dst, "wb") as f:
        f.write(data[:end])
    return keep


def run(sensor, config, pcap, workdir, tag, workers):
    log = os.path.join(workdir, "log-%s.jsonl" % tag)
    events = os.path.join(workdir, "events-%s.jsonl" % tag)
    cmd = [sensor, "--config", config, "--read", pcap, "--smtp-log", log, "--events", events, "--no-progress"]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit("check_workers: %s exited %d: %s" % (" ".join(cmd), proc.returncode, proc.stderr))
    with open(log, "rb") as f:
        log_bytes = f.read()
    with open(events, "rb") as f:
        event_bytes = f.read()
    ids = set()
    for line in event_bytes.decode().splitlines():
        ids.add(json.loads(line)["id"])
    m = re.search(r"workers: (\d+)", proc.stderr + proc.stdout)
    return {
        "workers_logged": int(m.group(1)) if m else 1,
        "ids": ids,
        "records": sorted(log_bytes.decode().splitlines()),
        "log_bytes": log_bytes,
        "event_bytes": event_bytes,
        "stderr": proc.stderr,
    }


def compare(name, runs):
    failures = []
    base_tag, base = runs[0]
    if not base["ids"]:
        failures.append("%s: %s found no events; the comparison would prove nothing" % (name, base_tag))
    if not base["records"]:
        failures.append("%s: %s wrote no session records" % (name, base_tag))
    for tag, r in runs[1:]:
        if r["ids"] != base["ids"]:
            failures.append("%s: %s event ids differ from %s: %d only in %s, %d only in %s" % (
                name, tag, base_tag, len(r["ids"] - base["ids"]), tag, len(base["ids"] - r["ids"]), base_tag))
        if r["records"] != base["records"]:
            a, b = set(base["records"]), set(r["records"])
            failures.append("%s: %s session records differ from %s (%d vs %d records; %d only in %s, e.g. %s)" % (
                name, tag, base_tag, len(r["records"]), len(base["records"]), len(b - a), tag,
                next(iter(b - a), "none")[:300]))
        if r["log_bytes"] != base["log_bytes"] or r["event_bytes"] != base["event_bytes"]:
            failures.append("%s: %s output is not in %s's order" % (name, tag, base_tag))
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sensor", required=True)
    ap.add_argument("--linksim", required=True)
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--config", required=True)
    args = ap.parse_args()
    failures = []
    with tempfile.TemporaryDirectory(prefix="bw-workers-") as work:
        subprocess.run([args.linksim, "--scenario", args.scenario, "--out", os.path.join(work, "sim")],
                       check=True, stdout=subprocess.DEVNULL)
        pcap = os.path.join(work, "sim", "capture.pcap")

        runs = [("workers=%d" % n, run(args.sensor, args.config, pcap, work, "whole-%d" % n, n)) for n in (1, 2, 3)]
        for tag, r in runs:
            expected = int(tag.split("=")[1])
            if r["workers_logged"] != expected:
                failures.append("whole: %s ran %d workers" % (tag, r["workers_logged"]))
        failures += compare("whole capture", runs)
        print("whole capture: %d event ids, %d session records, identical for 1, 2 and 3 workers" % (
            len(runs[0][1]["ids"]), len(runs[0][1]["records"])))

        # Cut short, short idle timeout, [sensor] workers = 2 in the file.
        head = os.path.join(work, "head.pcap")
        kept = cut_pcap(pcap, head, 0.6)
        # Half the connections lose their FIN and RST packets: they end idle.
        cut = os.path.join(work, "cut.pcap")
        subprocess.run(["tshark", "-r", head, "-Y",
                        "not ((tcp.flags.fin == 1 or tcp.flags.reset == 1) and tcp.stream % 2 == 0)",
                        "-F", "pcap", "-w", cut], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(args.config) as f:
            text = f.read()
        text, n1 = re.subn(r"(?m)^flow_idle_timeout_seconds = \d+", "flow_idle_timeout_seconds = 1", text)
        text, n2 = re.subn(r"(?m)^workers = \d+", "workers = 2", text)
        if n1 != 1 or n2 != 1:
            raise SystemExit("check_workers: %s lacks the flow_idle_timeout_seconds or workers key" % args.config)
        config = os.path.join(work, "short-idle.toml")
        with open(config, "w") as f:
            f.write(text)
        runs = [("workers=1", run(args.sensor, config, cut, work, "cut-1", 1)),
                ("[sensor] workers = 2", run(args.sensor, config, cut, work, "cut-2", None)),
                ("workers=3", run(args.sensor, config, cut, work, "cut-3", 3))]
        if runs[1][1]["workers_logged"] != 2:
            failures.append("cut: [sensor] workers = 2 ran %d workers" % runs[1][1]["workers_logged"])
        base = runs[0][1]
        partial = sum(1 for r in base["records"] if '"partial":true' in r)
        idle = re.search(r"idle (\d+)", base["stderr"])
        end = re.search(r"end of input (\d+)", base["stderr"])
        if partial == 0 or not idle or int(idle.group(1)) == 0 or not end or int(end.group(1)) == 0:
            failures.append("cut: expected flows ending idle and at end of input, and partial records; got %d partial, %s" % (
                partial, (idle.group(0) if idle else "no idle count") + ", " + (end.group(0) if end else "no end count")))
        failures += compare("cut capture", runs)
        print("cut capture (%d packets, half the FINs gone, idle timeout 1 s): %d event ids, %d session records (%d partial), %s, %s" % (
            kept, len(base["ids"]), len(base["records"]), partial, idle.group(0) if idle else "?",
            end.group(0) if end else "?"))
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
