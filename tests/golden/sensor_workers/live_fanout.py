#!/usr/bin/python3
"""Live capture with --workers 2 in a PACKET_FANOUT group, end to end.

In a private network namespace (unshare --net; loopback only) the sensor
captures on lo with --workers 2 while tcpdump records the same traffic.
Twenty-four SMTP sessions run at once (real TCP stacks, Python's smtplib,
aiosmtpd receivers) from nine subscriber addresses and ephemeral ports:
three bots (an IP literal that is not theirs, "localhost", random names; six
sessions each to six MX) and benign senders (the ISP relay on 587, a business
MTA). Checks:
  - the log says the fanout group was joined with 2 sockets;
  - every session has one record, complete ("partial": false) with the HELO,
    MAIL FROM and RCPT TO its client sent (matched by source address and port);
  - both workers made records (their final "worker N:" lines);
  - within each subscriber the live records come in --read's order;
  - the events (detector, subscriber) equal those of an offline --read of
    tcpdump's capture of the same traffic, and are not empty; the session
    records are the same too.
With --encapsulations, the frames of the golden "encapsulations" case (one
SMTP session each over 802.1Q, QinQ, PPPoE, MPLS, IPv6, PPPoE/IPv6; both
directions) are sent into one end of a veth pair and the sensor captures on
the other: its records must equal --read's of the same file (but for
timestamps and uids), so the kernel's fanout hash put both directions of
every encapsulated connection on one worker. (No VLAN sub-interfaces: this
kernel has no 802.1Q module, so the tagged frames are sent raw.)
Needs root (namespace, port 25, tcpdump): exits 77 (skipped) otherwise.
  live_fanout.py --sensor PATH [--keep DIR] [--encapsulations]"""
import argparse
import json
import os
import random
import re
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time

RELAY = "127.0.2.1"
MX = ["127.0.1.%d" % i for i in range(1, 7)]
FILTER = "tcp port 25 or tcp port 587"


def start_servers():
    from aiosmtpd.controller import Controller

    class Receiver:
        async def handle_DATA(self, server, session, envelope):
            return "250 2.0.0 queued as %08X" % random.getrandbits(32)

    controllers = []
    for i, addr in enumerate(MX):
        c = Controller(Receiver(), hostname=addr, port=25, server_hostname="mx%d.recipient%d.example.net" % (i, i),
                       ident="ESMTP Postfix")
        c.start()
        controllers.append(c)
    c = Controller(Receiver(), hostname=RELAY, port=587, server_hostname="smtp.isp.example", ident="ESMTP")
    c.start()
    controllers.append(c)
    return controllers


def sessions():
    """(source, server, port, helo, use_helo, mail from, recipients) of every session."""
    rng = random.Random(11)
    out = []
    for i, mx in enumerate(MX):
        out.append(("127.0.0.22", mx, 25, "[198.51.100.77]", False, "support@paypa1-secure.example",
                    ["account%d@recipient%d.example.net" % (i, i)]))
        out.append(("127.0.0.21", mx, 25, "localhost", True, "news@offers-%d.example" % i,
                    ["info@recipient%d.example.net" % i]))
        helo = "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(rng.randint(7, 11)))
        out.append(("127.0.0.20", mx, 25, helo, False, "%s@%s.example" % (helo[:4], helo),
                    ["user%d@recipient%d.example.net" % (rng.randint(1, 999), i)]))
    for n in range(3):
        out.append(("127.0.0.%d" % (10 + n), RELAY, 587, "[10.0.0.%d]" % (5 + n), False, "anna%d@homemail.example" % n,
                    ["kees%d@webpost.example" % n, "oma%d@webpost.example" % n]))
        out.append(("127.0.0.%d" % (13 + n), MX[n], 25, "mail.baeckerei-mueller%d.de" % n, False,
                    "bestellung@baeckerei-mueller%d.de" % n, ["kunde%d@recipient%d.example.net" % (n, n)]))
    return out


def run_session(s, results, start):
    source, host, port, helo, use_helo, frm, rcpts = s
    start.wait()
    try:
        with smtplib.SMTP(host, port, local_hostname=helo, source_address=(source, 0), timeout=20) as c:
            results.append((c.sock.getsockname()[1], s))
            if use_helo:
                c.helo(helo)
            c.sendmail(frm, rcpts, "From: <%s>\r\nTo: <%s>\r\nSubject: hello\r\n\r\nHello.\r\n" % (frm, rcpts[0]))
    except (OSError, smtplib.SMTPException) as e:
        results.append((None, "%s -> %s:%d: %s" % (source, host, port, e)))


def stop_when_written(proc, path):
    """tcpdump writes behind the kernel: stops it once the file stops growing."""
    last, deadline = -1, time.time() + 20
    while time.time() < deadline:
        time.sleep(0.5)
        size = os.path.getsize(path)
        if size == last:
            break
        last = size
    proc.terminate()
    proc.wait(10)


def inner(args):
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    work = args.keep or tempfile.mkdtemp(prefix="bw-live-fanout-")
    os.makedirs(work, exist_ok=True)
    config = os.path.join(work, "sensor.toml")
    with open(config, "w") as f:
        f.write('[sensor]\nsubscriber_prefixes = ["127.0.0.0/24"]\nsmtp_relays = ["%s"]\n'
                # lo (MTU 65536): ~64 KiB ring frames, two per packet (out and in), so 64 MiB
                # holds every packet of the test in each handle even if a (sanitizer) worker lags.
                'stats_interval_seconds = 1\nbuffer_mb = 64\n' % RELAY)
    controllers = start_servers()  # before the capture: each Controller makes a test connection
    live_log, live_events = os.path.join(work, "live-smtp.jsonl"), os.path.join(work, "live-events.jsonl")
    sensor = subprocess.Popen([args.sensor, "--config", config, "--interface", "lo", "--workers", "2",
                               "--filter", FILTER, "--smtp-log", live_log, "--events", live_events],
                              stderr=subprocess.PIPE, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(sensor.stderr), daemon=True)
    reader.start()
    deadline = time.time() + 15
    while not any("capturing on lo" in l for l in lines) and time.time() < deadline and sensor.poll() is None:
        time.sleep(0.05)
    pcap = os.path.join(work, "capture.pcap")
    tcpdump = subprocess.Popen(["tcpdump", "-i", "lo", "-s", "0", "-U", "-w", pcap, FILTER],
                               stderr=subprocess.PIPE, text=True)
    if "listening on" not in tcpdump.stderr.readline():
        print("FAIL: tcpdump did not start")
        return 1
    plan = sessions()
    results, start = [], threading.Event()
    clients = [threading.Thread(target=run_session, args=(s, results, start)) for s in plan]
    for t in clients:
        t.start()
    start.set()  # all at once
    for t in clients:
        t.join()
    time.sleep(0.5)
    for c in controllers:
        c.stop()
    stop_when_written(tcpdump, pcap)
    time.sleep(1.0)
    sensor.send_signal(signal.SIGTERM)
    code = sensor.wait(timeout=20)
    reader.join(timeout=5)
    text = "".join(lines)
    print(text)

    ok = True

    def check(cond, what):
        nonlocal ok
        if not cond:
            ok = False
            print("FAILED:", what)

    failed_sessions = [r[1] for r in results if r[0] is None]
    check(not failed_sessions, "every client session ran: %s" % failed_sessions)
    check(code == 0, "the sensor exits 0 after SIGTERM (got %d)" % code)
    check(re.search(r"capture: kernel received \d+, dropped 0,", text), "the kernel dropped nothing")
    check(re.search(r"capturing on lo: PACKET_FANOUT hash group \d+ joined with 2 sockets, one per worker", text),
          "the log says the fanout group was joined with 2 sockets")
    made = {int(m.group(1)): int(m.group(2)) for m in
            re.finditer(r"worker (\d): \d+ packets, \d+ SMTP candidate packets, (\d+) session records", text)}
    check(len(made) == 2 and all(n > 0 for n in made.values()),
          "both workers made session records (got %s)" % made)
    check(sum(made.values()) == len(plan), "the workers made %d records in all (got %s)" % (len(plan), made))

    live = [json.loads(l) for l in open(live_log)]
    by_client = {(r["id.orig_h"], r["id.orig_p"]): r for r in live}
    check(len(live) == len(plan), "%d session records (got %d)" % (len(plan), len(live)))
    for port, s in [r for r in results if r[0] is not None]:
        source, host, dport, helo, _, frm, rcpts = s
        r = by_client.get((source, port))
        if r is None:
            check(False, "a record for %s:%d -> %s:%d" % (source, port, host, dport))
            continue
        check(not r["partial"] and r["helo"] == helo and r["mailfrom"] == frm and r["rcptto"] == rcpts and
              r["id.resp_h"] == host and r["id.resp_p"] == dport and r["data_accepted"],
              "%s:%d's record is complete, as sent (%s %s %s): %s" % (source, port, helo, frm, rcpts, r))

    offline_log, offline_events = os.path.join(work, "read-smtp.jsonl"), os.path.join(work, "read-events.jsonl")
    run = subprocess.run([args.sensor, "--config", config, "--read", pcap, "--smtp-log", offline_log,
                          "--events", offline_events, "--no-progress"], capture_output=True, text=True)
    check(run.returncode == 0, "--read of tcpdump's capture exits 0: %s" % run.stderr)
    if run.returncode == 0:
        offline = [json.loads(l) for l in open(offline_log)]
        # Timestamps (and the uid made from them) may differ by a microsecond between two capture handles.
        canon = lambda records: sorted(json.dumps({k: v for k, v in r.items() if k not in ("ts", "last_ts", "uid")},
                                                  sort_keys=True) for r in records)
        check(canon(offline) == canon(live),
              "the live session records equal --read's of tcpdump's capture (%d vs %d)" % (len(live), len(offline)))
        # Capture-time order within a subscriber: two records of one subscriber
        # whose last packets are more than a millisecond apart must come in
        # --read's (one pipeline's) order (records made within microseconds of
        # each other by two workers may come out in either order).
        place = {(r["id.orig_h"], r["id.orig_p"]): i for i, r in enumerate(offline)}
        misordered = [(a["id.orig_h"], a["id.orig_p"], b["id.orig_p"]) for i, a in enumerate(live) for b in live[i + 1:]
                      if a["id.orig_h"] == b["id.orig_h"] and b["last_ts"] - a["last_ts"] > 0.001 and
                      place.get((a["id.orig_h"], a["id.orig_p"]), -1) > place.get((b["id.orig_h"], b["id.orig_p"]), -1)]
        ordered_pairs = sum(1 for i, a in enumerate(live) for b in live[i + 1:]
                            if a["id.orig_h"] == b["id.orig_h"] and abs(b["last_ts"] - a["last_ts"]) > 0.001)
        print("order within subscribers: %d pairs more than 1 ms apart" % ordered_pairs)
        check(ordered_pairs > 0 and not misordered,
              "the live log is in capture-time order within each subscriber, as --read's: %s" % misordered)
        pairs = lambda path: sorted({(e["detector"], e["subscriber"]) for e in map(json.loads, open(path))})
        live_pairs, read_pairs = pairs(live_events), pairs(offline_events)
        print("events (detector, subscriber): live %s, --read %s" % (live_pairs, read_pairs))
        check(live_pairs, "the live capture found events")
        check(live_pairs == read_pairs, "live events equal --read's")
        check({s for _, s in live_pairs} == {"127.0.0.20", "127.0.0.21", "127.0.0.22"},
              "every bot and no benign sender is flagged")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def read_frames(path):
    """The frames of a classic little-endian pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    frames, pos = [], 24
    while pos + 16 <= len(data):
        caplen = int.from_bytes(data[pos + 8:pos + 12], "little")
        frames.append(data[pos + 16:pos + 16 + caplen])
        pos += 16 + caplen
    return frames


def encapsulations_inner(args):
    """In a private namespace: the golden 'encapsulations' case's frames (one session each over
    802.1Q, QinQ, PPPoE, MPLS, IPv6 and PPPoE/IPv6) are sent into one end of a veth pair, the
    sensor with --workers 2 captures them on the other; its records must equal --read's."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sensor"))
    import cases
    for step in (["ip", "link", "add", "va", "type", "veth", "peer", "name", "vb"], ["ip", "link", "set", "va", "up"],
                 ["ip", "link", "set", "vb", "up"], ["ip", "link", "set", "lo", "up"]):
        r = subprocess.run(step, capture_output=True, text=True)
        if r.returncode != 0:
            print("skipped: cannot make a veth pair (%s: %s)" % (" ".join(step), r.stderr.strip()))
            return 77
    work = args.keep or tempfile.mkdtemp(prefix="bw-live-fanout-encap-")
    os.makedirs(work, exist_ok=True)
    pcap = os.path.join(work, "encapsulations.pcap")
    cases.write_case("encapsulations", pcap)
    config = os.path.join(work, "sensor.toml")
    with open(config, "w") as f:
        f.write('[sensor]\nsubscriber_prefixes = ["100.64.0.0/10", "2001:db8:1000::/36"]\n'
                'smtp_relays = ["198.51.100.25/32"]\nstats_interval_seconds = 0\nbuffer_mb = 16\n')
    live_log = os.path.join(work, "live-smtp.jsonl")
    sensor = subprocess.Popen([args.sensor, "--config", config, "--interface", "vb", "--workers", "2",
                               "--smtp-log", live_log], stderr=subprocess.PIPE, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(sensor.stderr), daemon=True)
    reader.start()
    deadline = time.time() + 15
    while not any("capturing on vb" in l for l in lines) and time.time() < deadline and sensor.poll() is None:
        time.sleep(0.05)
    out = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    out.bind(("va", 0))
    frames = read_frames(pcap)
    for frame in frames:
        out.send(frame)
        time.sleep(0.001)  # in order: the capture time of each frame is when it arrives
    out.close()
    time.sleep(1.0)
    sensor.send_signal(signal.SIGTERM)
    code = sensor.wait(timeout=20)
    reader.join(timeout=5)
    text = "".join(lines)
    print(text)
    ok = True

    def check(cond, what):
        nonlocal ok
        if not cond:
            ok = False
            print("FAILED:", what)

    check(code == 0, "the sensor exits 0 after SIGTERM (got %d)" % code)
    check(re.search(r"PACKET_FANOUT hash group \d+ joined with 2 sockets", text), "the fanout group was joined")
    run = subprocess.run([args.sensor, "--config", config, "--read", pcap, "--smtp-log", "-", "--no-progress"],
                         capture_output=True, text=True)
    check(run.returncode == 0, "--read exits 0: %s" % run.stderr)
    canon = lambda lines_: sorted(json.dumps({k: v for k, v in json.loads(l).items()
                                              if k not in ("ts", "last_ts", "uid")}, sort_keys=True)
                                  for l in lines_ if l.strip())
    live, offline = canon(open(live_log)), canon(run.stdout.splitlines())
    check(len(offline) == 6 and all('"partial": false' in r for r in offline), "--read: 6 whole records")
    check(live == offline, "%d frames sent: the live records equal --read's (live %d, --read %d): %s" % (
        len(frames), len(live), len(offline), sorted(set(live) ^ set(offline))[:2]))
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sensor", required=True)
    p.add_argument("--keep")
    p.add_argument("--inner", action="store_true")
    p.add_argument("--encapsulations", action="store_true")
    p.add_argument("--inner-encapsulations", action="store_true")
    args = p.parse_args()
    if args.inner:
        return inner(args)
    if args.inner_encapsulations:
        return encapsulations_inner(args)
    if os.geteuid() != 0:
        print("skipped: needs root (network namespace, port 25, tcpdump)")
        return 77
    if subprocess.run(["unshare", "--net", "--", "true"], capture_output=True).returncode != 0:
        print("skipped: cannot make a network namespace")
        return 77
    cmd = ["unshare", "--net", "--", sys.executable, os.path.abspath(__file__),
           "--inner-encapsulations" if args.encapsulations else "--inner", "--sensor", os.path.abspath(args.sensor)]
    if args.keep:
        cmd += ["--keep", args.keep]
    return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main())
