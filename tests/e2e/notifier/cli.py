#!/usr/bin/python3
"""The botwarden-notifier command line as an operator sees it: output, error
text and exit codes of check, import-leases, ingest, incidents, operator
actions, tick and backup, on a fresh database.

Usage: cli.py --notifier PATH/botwarden-notifier   (python3 standard library only)
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

FAILURES = []


def event(n, subscriber, detector="bad_helo", ts="2026-11-25T10:00:00Z"):
    return json.dumps({
        "type": "detection", "schema": 1, "id": "%032x" % n, "ts": ts, "sensor": "sensor1",
        "subscriber": subscriber, "address": subscriber.split("/")[0], "detector": detector, "score": 5.0,
        "first_seen": ts, "last_seen": ts, "exempt": False,
        "evidence": {"sessions": 4, "window_seconds": 600, "sample_helos": ["[%s]" % subscriber]}})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--notifier", required=True)
    notifier = os.path.abspath(parser.parse_args().notifier)

    with tempfile.TemporaryDirectory(prefix="botwarden-e2e-cli-") as work:
        def run(args, code, stdout=None, stderr=None, config="botwarden.toml"):
            out = subprocess.run([notifier, "-c", config, *args], cwd=work, capture_output=True, text=True)
            what = " ".join(args)
            if out.returncode != code:
                FAILURES.append("%s: exit %d, expected %d (stderr: %s)" % (what, out.returncode, code, out.stderr))
            if stdout is not None and out.stdout != stdout:
                FAILURES.append("%s: stdout\n%r\nexpected\n%r" % (what, out.stdout, stdout))
            if stderr is not None and out.stderr != stderr:
                FAILURES.append("%s: stderr\n%r\nexpected\n%r" % (what, out.stderr, stderr))
            return out.stdout

        def write(name, text):
            with open(os.path.join(work, name), "w") as f:
                f.write(text)

        write("botwarden.toml", '[notifier]\ndatabase = "cli.db"\nlog_level = "warn"\n')
        write("bad.toml", '[notifier]\nmonitoring_days = "two weeks"\n')
        write("accounts.csv", "account,email,language,business,exempt,name\n"
                              "alice,alice@example.net,en,false,false,Alice\n"
                              "lab,lab@example.net,en,true,true,Test lab\n")
        write("static.csv", "prefix,account,start,end\n"
                            "100.64.0.7/32,alice,2026-11-01T00:00:00Z,\n"
                            "100.64.0.8/32,lab,2026-11-01T00:00:00Z,\n"
                            "not-a-prefix,bob,2026-11-01T00:00:00Z,\n")
        bad_event = json.loads(event(3, "100.64.0.9"))
        bad_event["ts"] = "25/11/2026"
        write("events.jsonl", "\n".join([event(1, "100.64.0.7"), event(2, "100.64.0.7", "snowshoe"), "",
                                         json.dumps(bad_event), "{oops", event(1, "100.64.0.7"),
                                         event(4, "100.64.0.8"), event(5, "100.64.0.9")]) + "\n")

        run(["check"], 2, config="bad.toml", stderr="botwarden-notifier: bad.toml:2: notifier.monitoring_days: "
                                                     "expected an integer, got a string\n")
        run(["check"], 2, config="missing.toml",
            stderr="botwarden-notifier: missing.toml: cannot open configuration file\n")
        run(["frobnicate"], 2)
        checked = run(["check"], 0)
        if not re.fullmatch(r"configuration botwarden.toml valid; database cli.db at schema version [1-9][0-9]*\n", checked):
            FAILURES.append("check: stdout %r" % checked)

        run(["import-leases", "--format", "accounts", "accounts.csv"], 0,
            stdout="leases new 0, updated 0; accounts 2; skipped 0; problems 0\n")
        out = run(["import-leases", "--format", "static-csv", "static.csv"], 1,
                  stdout="leases new 2, updated 0; accounts 0; skipped 0; problems 1\n")
        run(["import-leases", "--format", "static-csv", "static.csv"], 1,
            stdout="leases new 0, updated 2; accounts 0; skipped 0; problems 1\n")  # re-import: no duplicates

        run(["ingest", "events.jsonl"], 1, stdout="accepted 4, duplicate 1, rejected 2\n",
            stderr="events.jsonl:4: ts: not an RFC 3339 timestamp\n"
                   "events.jsonl:5: malformed JSON at byte 2: parse error at line 1, column 2: syntax error while "
                   "parsing object key - invalid literal; last read: '{o'; expected string literal\n")
        run(["ingest", "events.jsonl"], 1, stdout="accepted 0, duplicate 5, rejected 2\n")

        incidents = json.loads(run(["incidents", "list", "--json"], 0))
        summary = [(i["id"], i["state"], i["account"], i["subscriber"], i["detection_count"], i["detectors"],
                    i["exempt"]) for i in incidents]
        expected = [(1, "detected", "alice", "100.64.0.7", 2, ["bad_helo", "snowshoe"], False),
                    (2, "detected", "lab", "100.64.0.8", 1, ["bad_helo"], True),
                    (3, "detected", None, "100.64.0.9", 1, ["bad_helo"], False)]
        if summary != expected:
            FAILURES.append("incidents list --json: %r, expected %r" % (summary, expected))
        lines = run(["incidents", "list", "--state", "detected"], 0).splitlines()
        if len(lines) != 3 or not lines[2].startswith("3  detected  subscriber:100.64.0.9  opened ") \
                or not lines[1].endswith("1 detection  bad_helo  exempt"):
            FAILURES.append("incidents list: %r" % lines)
        run(["incidents", "list", "--state", "resolved"], 0, stdout="")
        run(["incidents", "show", "99"], 1, stderr="botwarden-notifier: no incident 99\n")

        run(["release", "1", "--operator", "olga", "--reason", "cleaned on the phone"], 0,
            stdout="incident 1: detected -> acknowledged\n")
        run(["release", "1", "--operator", "olga", "--reason", "again"], 1,
            stderr="botwarden-notifier: incident 1: refused: already released\n")
        run(["release", "1", "--operator", "olga"], 2)  # --reason is required
        run(["tick", "--now", "2030-01-01T00:00:00Z"], 0,
            stdout="transitions 1, grace_period_passed 1; evidence purged from 4 events\n")
        run(["tick", "--now", "2030-01-01T00:00:00Z"], 0,
            stdout="transitions 0; evidence purged from 0 events\n")
        run(["tick", "--now", "soon"], 2, stderr="botwarden-notifier: --now: not an RFC 3339 timestamp: soon\n")

        shown = json.loads(run(["incidents", "show", "1", "--json"], 0))
        trail = [(t["from"], t["to"], t["action"], t["actor"], t["actor_kind"], t["reason"]) for t in shown["transitions"]]
        expected_trail = [
            (None, "detected", "opened", "botwarden", "system", "opened by bad_helo event %032x" % 1),
            ("detected", "acknowledged", "operator_release", "olga", "operator",
             "released by an operator; cleaned on the phone"),
            ("acknowledged", "acknowledged", "operator_release", "olga", "operator",
             "refused: already released; again"),
            ("acknowledged", "monitoring", "grace_period_passed", "botwarden", "system",
             "grace period of 1 hours passed")]
        if trail != expected_trail:
            FAILURES.append("incidents show 1 --json transitions: %r" % trail)

        run(["backup", "copy.db"], 0, stdout="backup written to copy.db\n")
        run(["backup", "copy.db"], 1, stderr="botwarden-notifier: copy.db: exists already; not overwriting it\n")
        write("copy.toml", '[notifier]\ndatabase = "copy.db"\nlog_level = "warn"\n')
        if len(json.loads(run(["incidents", "list", "--json"], 0, config="copy.toml"))) != 3:
            FAILURES.append("the backup does not hold the 3 incidents")

    if FAILURES:
        print("FAIL:\n" + "\n".join(FAILURES), file=sys.stderr)
        sys.exit(1)
    print("OK: notifier command line output, errors and exit codes")


if __name__ == "__main__":
    main()
