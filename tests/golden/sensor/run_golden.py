#!/usr/bin/python3
"""Sensor golden tests (Zeek btest style): for each case in cases.py, write
its pcap, run botwarden-sensor on it, and compare the session log with
tests/golden/sensor/<case>/expected.jsonl. A failure prints a unified diff.

  run_golden.py --sensor BIN [--case NAME] [--update]

--update rewrites expected.jsonl from the current output (review the diff
with git before committing)."""
import argparse
import difflib
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cases  # noqa: E402


def run_case(sensor, name, workdir):
    pcap = os.path.join(workdir, name + ".pcap")
    cases.write_case(name, pcap)
    proc = subprocess.run([sensor, "--config", os.path.join(HERE, "sensor.toml"), "--read", pcap,
                           "--smtp-log", "-", "--no-progress"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("%s: botwarden-sensor exited %d: %s" % (name, proc.returncode, proc.stderr))
    return proc.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sensor", required=True)
    ap.add_argument("--case", action="append")
    ap.add_argument("--update", action="store_true")
    args = ap.parse_args()
    names = args.case or sorted(cases.CASES)
    failed = []
    with tempfile.TemporaryDirectory() as work:
        for name in names:
            out = run_case(args.sensor, name, work)
            expected_path = os.path.join(HERE, name, "expected.jsonl")
            if args.update:
                os.makedirs(os.path.dirname(expected_path), exist_ok=True)
                with open(expected_path, "w") as f:
                    f.write(out)
                print("updated", expected_path)
                continue
            try:
                with open(expected_path) as f:
                    expected = f.read()
            except FileNotFoundError:
                expected = ""
            if out != expected:
                failed.append(name)
                sys.stdout.writelines(difflib.unified_diff(
                    expected.splitlines(True), out.splitlines(True),
                    "%s/expected.jsonl" % name, "%s (botwarden-sensor)" % name))
            else:
                print("ok", name)
    if failed:
        print("FAILED: %s (rerun with --update to accept)" % ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
