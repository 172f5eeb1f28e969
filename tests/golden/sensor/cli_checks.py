#!/usr/bin/python3
"""botwarden-sensor's command line as a user sees it: exit codes and error
messages word for word, and a truncated capture processed up to the cut."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cases  # noqa: E402

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAILED:", what)


def run(sensor, *args):
    return subprocess.run([sensor, *args], capture_output=True, text=True)


def main():
    sensor = sys.argv[sys.argv.index("--sensor") + 1]
    config = os.path.join(HERE, "sensor.toml")
    with tempfile.TemporaryDirectory() as work:
        r = run(sensor, "--config", config, "--read", "/nonexistent/x.pcap")
        check(r.returncode == 1, "missing capture: exit 1 (got %d)" % r.returncode)
        check(r.stderr == "botwarden-sensor: cannot open /nonexistent/x.pcap: No such file or directory\n",
              "missing capture message: %r" % r.stderr)

        whole = os.path.join(work, "basic.pcap")
        cases.write_case("basic", whole)
        data = open(whole, "rb").read()
        cut = os.path.join(work, "cut.pcap")
        with open(cut, "wb") as f:
            f.write(data[:-30])  # the last packet (the final ACK) is cut short
        log = os.path.join(work, "smtp.jsonl")
        r = run(sensor, "--config", config, "--read", cut, "--smtp-log", log, "--no-progress")
        check(r.returncode == 1, "truncated capture: exit 1 (got %d)" % r.returncode)
        expected_error = ("botwarden-sensor: %s: truncated or corrupt after 45 packets: truncated dump file; "
                          "tried to read 54 captured bytes, only got 24\n" % cut)
        check(r.stderr.endswith(expected_error), "truncated capture message: %r" % r.stderr[-300:])
        check(len(open(log).readlines()) == 3, "the readable part gives all 3 records")

        bad = os.path.join(work, "bad.toml")
        with open(bad, "w") as f:
            f.write('[sensor]\nsubscriber_prefixes = ["100.64.0.0/10"]\nsmtp_relays = []\nsnaplen = 10\n')
        r = run(sensor, "--config", bad, "--read", whole)
        check(r.returncode == 2, "bad config: exit 2 (got %d)" % r.returncode)
        check(r.stderr.startswith("botwarden-sensor: %s:4: sensor.snaplen: " % bad), "bad config message: %r" % r.stderr)

        r = run(sensor, "--config", config, "--read", whole, "--interface", "lo")
        check(r.returncode == 2, "--read with --interface: exit 2 (got %d)" % r.returncode)

        r = run(sensor, "--help")
        check(r.returncode == 0 and "Exit codes: 0 success, 1 runtime error" in r.stdout, "--help lists exit codes")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
