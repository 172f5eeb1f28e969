#!/usr/bin/python3
"""Cross-checks a linksim capture with an independent dissector (tshark).

Generates the capture of SCENARIO with botwarden-linksim, then fails when
tshark finds a malformed packet or a bad IPv4/TCP/UDP checksum, or when the
SMTP commands tshark extracts differ, session by session, from labels.json
(helo, mailfrom, rcptto). Sessions labelled "impaired" are skipped (a lost
or reordered segment may hide a command from tshark); sessions seen only by
one side are errors. Standard library only.

usage: check_tshark.py LINKSIM SCENARIO WORKDIR
"""
import json
import re
import shutil
import subprocess
import sys

TSHARK = ["tshark", "-n", "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
          "-o", "udp.check_checksum:TRUE", "-o", "tcp.desegment_tcp_streams:TRUE"]
PROBLEMS = ('_ws.malformed || ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || '
            'udp.checksum.status == "Bad"')


def tshark(pcap, *args):
    out = subprocess.run(TSHARK + ["-r", pcap] + list(args), check=True, capture_output=True, text=True,
                         errors="replace")
    return out.stdout


# tshark 4.0's SMTP dissector enters DATA mode on a pipelined DATA even when
# the server refuses it (RFC 2920 §3.1 allows that reply), and then reads every
# later client line as message text: it sees no command after that point.
DATA_REFUSED = ("554 5.5.1 Error: no valid recipients", "503 5.5.1 Error: need RCPT command")


def tshark_prefix(got, want):
    """True when tshark saw the same HELO and a non-empty exact prefix of the transactions."""
    n = len(got["mailfrom"])
    return (got["helo"] == want["helo"] and 0 < n < len(want["mailfrom"])
            and got["mailfrom"] == want["mailfrom"][:n] and got["rcptto"] == want["rcptto"][:n])


def address(text):
    return text  # tshark prints addresses in the same canonical text as linksim (RFC 5952)


def main():
    linksim, scenario, workdir = sys.argv[1:4]
    shutil.rmtree(workdir, ignore_errors=True)
    subprocess.run([linksim, "--scenario", scenario, "--out", workdir], check=True, stdout=subprocess.DEVNULL)
    pcap = workdir + "/capture.pcap"
    failures = []

    total = int(tshark(pcap, "-T", "fields", "-e", "frame.number").split()[-1])
    bad = tshark(pcap, "-Y", PROBLEMS, "-T", "fields", "-e", "frame.number", "-e", "_ws.col.Info").strip()
    if bad:
        failures.append("malformed packets or bad checksums:\n" + bad[:2000])

    frames = json.loads(tshark(pcap, "-Y", "smtp.req", "-T", "json", "-e", "ip.src", "-e", "ipv6.src",
                               "-e", "tcp.srcport", "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport",
                               "-e", "smtp.req.command", "-e", "smtp.command_line"))
    seen = {}
    for frame in frames:
        f = frame["_source"]["layers"]
        src = (f.get("ip.src") or f.get("ipv6.src"))[0]
        dst = (f.get("ip.dst") or f.get("ipv6.dst"))[0]
        key = (address(src), int(f["tcp.srcport"][0]), address(dst), int(f["tcp.dstport"][0]))
        lines = f.get("smtp.command_line", [])
        if len(lines) != len(f.get("smtp.req.command", [])):
            failures.append(f"{key}: tshark command/line count mismatch {lines}")
        session = seen.setdefault(key, {"helo": None, "mailfrom": [], "rcptto": []})
        for line in lines:
            line = line.rstrip("\r\n")
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb in ("HELO", "EHLO") and session["helo"] is None:
                session["helo"] = arg
            elif verb == "MAIL":
                m = re.match(r"(?i)FROM:\s*<([^>]*)>", arg)
                session["mailfrom"].append(m.group(1) if m else arg)
                session["rcptto"].append([])
            elif verb == "RCPT":
                m = re.match(r"(?i)TO:\s*<([^>]*)>", arg)
                session["rcptto"][-1].append(m.group(1) if m else arg)

    with open(workdir + "/labels.json", encoding="utf-8") as fh:
        labels = json.load(fh)
    expected = {}
    impaired = set()
    data_refused = set()
    for sub in labels["subscribers"]:
        for s in sub["sessions"]:
            key = (s["client"], s["client_port"], s["server"], s["server_port"])
            if s["impaired"]:
                impaired.add(key)
                continue
            expected[key] = {"helo": s["helo"], "mailfrom": s["mailfrom"], "rcptto": s["rcptto"]}
            if any(r.startswith(DATA_REFUSED) for r in s["replies"]):
                data_refused.add(key)

    for key in impaired:
        seen.pop(key, None)
    if not any(v["helo"] is not None for v in expected.values()):
        failures.append("labels.json lists no session with clear-text commands")
    if not seen:
        failures.append("tshark extracted no SMTP commands")
    # Implicit TLS and sessions refused at the greeting show nothing (or only QUIT) in clear.
    empty = {"helo": None, "mailfrom": [], "rcptto": []}
    compared = 0
    blind = 0
    for key in sorted(set(expected) | set(seen)):
        want, got = expected.get(key, empty), seen.get(key, empty)
        compared += want != empty
        if want != got and key in data_refused and tshark_prefix(got, want):
            blind += 1
            continue
        if want != got:
            failures.append(f"session {key}:\n  labels: {want}\n  tshark: {got}")

    if failures:
        print("\n".join(failures[:20]))
        print(f"FAIL: {len(failures)} problem(s) in {pcap}")
        return 1
    print(f"ok: {total} frames, no malformed packets or bad checksums; {compared} sessions with clear-text commands agree "
          f"({len(impaired)} impaired sessions skipped; in {blind} tshark stopped at a refused pipelined DATA)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
