#!/usr/bin/python3
"""Oracle test: tshark and botwarden-sensor must agree on the envelope.

For each capture, every HELO/EHLO argument, MAIL FROM and RCPT TO address
that tshark's SMTP dissector extracts (smtp.command_line, i.e. the
smtp.req.command + smtp.req.parameter pairs) must be in our session log for
the same connection, and our log must hold nothing else. The number of
commands compared must be > 0.

  oracle_tshark.py --sensor BIN (--case NAME ... | --pcap FILE --config TOML
                                  | --linksim BIN --scenario TOML --config TOML)
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cases  # noqa: E402

# Cases whose dialogs tshark reads as we do. Left out, where tshark is the one
# that is wrong: starttls (its fake 5-byte "handshake" is not TLS to tshark,
# so it parses the MAIL after it), retransmission (tshark drops the MAIL that
# arrived after the RCPT), bare_lf, overlong and gap (tshark logs every HELO,
# we keep the last one; it does not see lines through a gap).
DEFAULT_CASES = ["basic", "pipelining", "encapsulations", "auth_bdat", "rejected", "link_sll", "link_sll2",
                 "link_raw", "link_null"]


def path_argument(text):
    s = text.strip()
    if s.startswith("<"):
        end = s.find(">")
        return s[1:end] if end >= 0 else s[1:]
    return s.split(" ")[0]


def tshark_commands(pcap):
    """Envelope commands per connection, and the connections tshark loses track of:
    after a DATA that is refused (no 354) tshark reads every later client line as
    message body, so it misses the envelopes that follow (we do not)."""
    out = subprocess.run(
        ["tshark", "-n", "-r", pcap, "-Y", "smtp", "-T", "fields", "-e", "ip.src", "-e", "ipv6.src",
         "-e", "tcp.srcport", "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "smtp.command_line",
         "-e", "smtp.response.code", "-E", "occurrence=a", "-E", "aggregator=\x1f", "-E", "separator=\t"],
        capture_output=True, text=True, check=True, errors="surrogateescape").stdout
    found = collections.Counter()
    data_commands = collections.Counter()
    replies_354 = collections.Counter()
    for row in out.splitlines():
        f = row.split("\t")
        if len(f) < 8:
            continue
        if f[6]:
            conn = (f[0] or f[1], int(f[2]), f[3] or f[4], int(f[5]))
        else:  # a reply: the connection seen from the client
            conn = (f[3] or f[4], int(f[5]), f[0] or f[1], int(f[2]))
            replies_354[conn] += sum(1 for c in f[7].split("\x1f") if c == "354")
            continue
        for line in f[6].split("\x1f"):
            line = line.replace("\\r\\n", "").replace("\r\n", "").rstrip("\r\n")
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "DATA":
                data_commands[conn] += 1
            if verb in ("HELO", "EHLO"):
                found[(conn, "helo", arg.strip())] += 1
            elif verb == "MAIL" and arg.upper().startswith("FROM:"):
                found[(conn, "mail", path_argument(arg[5:]))] += 1
            elif verb == "RCPT" and arg.upper().startswith("TO:"):
                found[(conn, "rcpt", path_argument(arg[3:]))] += 1
    lost = {c for c, n in data_commands.items() if n > replies_354[c]}
    return found, lost


def sensor_commands(sensor, config, pcap):
    out = subprocess.run([sensor, "--config", config, "--read", pcap, "--smtp-log", "-", "--no-progress"],
                         capture_output=True, text=True, check=True).stdout
    found = collections.Counter()
    helos = set()
    for line in out.splitlines():
        r = json.loads(line)
        conn = (r["id.orig_h"], r["id.orig_p"], r["id.resp_h"], r["id.resp_p"])
        if r["helo"] and (conn, r["helo"]) not in helos:  # repeated on every record of a session
            helos.add((conn, r["helo"]))
            found[(conn, "helo", r["helo"])] += 1
        if r["mailfrom"] or r["trans_depth"] > 0:  # "MAIL FROM:<>" (a bounce) is ""
            found[(conn, "mail", r["mailfrom"])] += 1
        for rcpt in r["rcptto"]:
            found[(conn, "rcpt", rcpt)] += 1
    return found


def compare(name, tshark, ours):
    theirs, lost = tshark
    # Everything tshark extracts must be in our log. Where tshark lost track
    # (a refused DATA), what we found beyond it is not held against us.
    missing = theirs - ours
    extra = collections.Counter({k: n for k, n in (ours - theirs).items() if k[0] not in lost})
    for k, n in sorted(missing.items()):
        print("%s: tshark saw %s %r on %s (x%d), the session log did not" % (name, k[1], k[2], k[0], n))
    for k, n in sorted(extra.items()):
        print("%s: the session log has %s %r on %s (x%d), tshark did not" % (name, k[1], k[2], k[0], n))
    total = sum(theirs.values())
    print("%s: %d HELO/MAIL/RCPT compared, %d missing, %d extra (%d connections where a refused DATA "
          "desynchronises tshark: only checked for missing)" % (name, total, sum(missing.values()), sum(extra.values()), len(lost)))
    return total > 0 and not missing and not extra


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sensor", required=True)
    ap.add_argument("--case", action="append")
    ap.add_argument("--pcap")
    ap.add_argument("--config", default=os.path.join(HERE, "sensor.toml"))
    ap.add_argument("--linksim")
    ap.add_argument("--scenario")
    ap.add_argument("--seed", default="1")
    args = ap.parse_args()
    ok = True
    if args.linksim:
        with tempfile.TemporaryDirectory() as work:
            subprocess.run([args.linksim, "--scenario", args.scenario, "--seed", args.seed, "--out", work],
                           check=True, capture_output=True)
            pcap = os.path.join(work, "capture.pcap")
            ok = compare(os.path.basename(args.scenario), tshark_commands(pcap),
                         sensor_commands(args.sensor, args.config, pcap))
    elif args.pcap:
        ok = compare(os.path.basename(args.pcap), tshark_commands(args.pcap),
                     sensor_commands(args.sensor, args.config, args.pcap))
    else:
        with tempfile.TemporaryDirectory() as work:
            for name in args.case or DEFAULT_CASES:
                pcap = os.path.join(work, name + ".pcap")
                cases.write_case(name, pcap)
                ok &= compare(name, tshark_commands(pcap), sensor_commands(args.sensor, args.config, pcap))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
