#!/usr/bin/python3
"""Live capture end to end: botwarden-sensor on the loopback interface sees a
real SMTP dialog (a tiny server and client on 127.0.0.1:2525), drops root to
`nobody`, and on SIGTERM writes the session and its final stats, exit 0.
Needs root (or CAP_NET_RAW); exits 77 (skipped) otherwise.
  live_loopback.py --sensor PATH [--expect-log REGEX ...]  (each REGEX must match a line of its log)"""
import json
import re
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

PORT = 2525


def serve(listener):
    conn, _ = listener.accept()
    f = conn.makefile("rb")
    conn.sendall(b"220 loopback ESMTP\r\n")
    in_data = False
    for line in f:
        if in_data:
            if line in (b".\r\n", b".\n"):
                in_data = False
                conn.sendall(b"250 queued\r\n")
            continue
        verb = line[:4].upper()
        if verb == b"DATA":
            in_data = True
            conn.sendall(b"354 go\r\n")
        elif verb == b"QUIT":
            conn.sendall(b"221 bye\r\n")
            break
        else:
            conn.sendall(b"250 ok\r\n")
    conn.close()


def client():
    s = socket.create_connection(("127.0.0.1", PORT))
    f = s.makefile("rb")
    f.readline()
    for cmd in (b"EHLO live.example.org", b"MAIL FROM:<a@example.org>", b"RCPT TO:<b@example.net>", b"DATA"):
        s.sendall(cmd + b"\r\n")
        f.readline()
    s.sendall(b"Subject: live\r\n\r\nhello\r\n.\r\n")
    f.readline()
    s.sendall(b"QUIT\r\n")
    f.readline()
    s.close()


def main():
    sensor = sys.argv[sys.argv.index("--sensor") + 1]
    if os.geteuid() != 0:
        print("skipped: live capture needs root")
        return 77
    with tempfile.TemporaryDirectory() as work:
        config = os.path.join(work, "sensor.toml")
        with open(config, "w") as f:
            f.write('[sensor]\nsubscriber_prefixes = ["127.0.0.0/8"]\nsmtp_relays = []\n'
                    'user = "nobody"\nstats_interval_seconds = 1\nbuffer_mb = 4\n')
        log = os.path.join(work, "smtp.jsonl")
        proc = subprocess.Popen([sensor, "--config", config, "--interface", "lo", "--filter", "tcp port %d" % PORT,
                                 "--smtp-log", log], stderr=subprocess.PIPE, text=True)
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
        reader.start()
        deadline = time.time() + 10
        while not any("capturing on lo" in l for l in lines) and time.time() < deadline:
            time.sleep(0.05)
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", PORT))
        listener.listen(1)
        server = threading.Thread(target=serve, args=(listener,))
        server.start()
        client()
        server.join()
        listener.close()
        time.sleep(1.5)  # at least one periodic stats line
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
        reader.join(timeout=5)
        text = "".join(lines)
        print(text)
        records = [json.loads(l) for l in open(log)]
        ok = True

        def check(cond, what):
            nonlocal ok
            if not cond:
                ok = False
                print("FAILED:", what)

        check(code == 0, "exit code 0 after SIGTERM (got %d)" % code)
        check("stopped by signal" in text, "the final lines say it stopped by signal")
        check("stats: " in text and "kernel received" in text, "a periodic stats line with pcap_stats")
        for pattern in [sys.argv[i + 1] for i, a in enumerate(sys.argv) if a == "--expect-log"]:
            check(re.search(pattern, text, re.M), "a log line matching %r" % pattern)
        check(len(records) == 1, "one session record (got %d)" % len(records))
        if records:
            r = records[0]
            check(r["helo"] == "live.example.org", "helo")
            check(r["mailfrom"] == "a@example.org" and r["rcptto"] == ["b@example.net"], "envelope")
            check(r["data_accepted"] and r["msg_bytes"] == 24 and not r["partial"], "message accepted, 24 bytes")
            check(r["id.resp_p"] == PORT and r["banner"] == "loopback ESMTP", "server side")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
