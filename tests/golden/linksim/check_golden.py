#!/usr/bin/python3
"""Golden test: the tiny scenario's labels.json and capture bytes.

Runs botwarden-linksim on configs/scenarios/tiny.toml and compares
labels.json with tiny/expected-labels.json (a reviewed baseline) and the
sha256 of capture.pcap with tiny/capture.sha256, so that any change in
output, or output that differs between machines, fails here with a diff.
Regenerate after a reviewed change: tests/golden/linksim/regenerate.sh BUILD_DIR

usage: check_golden.py LINKSIM SCENARIO BASELINE_DIR WORKDIR
"""
import difflib
import hashlib
import shutil
import subprocess
import sys


def main():
    linksim, scenario, baseline, workdir = sys.argv[1:5]
    shutil.rmtree(workdir, ignore_errors=True)
    subprocess.run([linksim, "--scenario", scenario, "--out", workdir], check=True, stdout=subprocess.DEVNULL)
    failures = 0
    with open(baseline + "/expected-labels.json", encoding="utf-8") as fh:
        want = fh.read().splitlines(keepends=True)
    with open(workdir + "/labels.json", encoding="utf-8") as fh:
        got = fh.read().splitlines(keepends=True)
    if want != got:
        sys.stdout.writelines(difflib.unified_diff(want, got, "expected-labels.json", "labels.json", n=2))
        failures += 1
    with open(baseline + "/capture.sha256", encoding="utf-8") as fh:
        want_sha = fh.read().split()[0]
    with open(workdir + "/capture.pcap", "rb") as fh:
        got_sha = hashlib.sha256(fh.read()).hexdigest()
    if want_sha != got_sha:
        print(f"capture.pcap sha256 {got_sha}, expected {want_sha}")
        failures += 1
    if failures:
        print("FAIL: output differs from the baseline in " + baseline +
              " (if the change is intended: tests/golden/linksim/regenerate.sh BUILD_DIR)")
        return 1
    print(f"ok: labels.json ({len(got)} lines) and capture.pcap ({got_sha[:16]}...) match the baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
