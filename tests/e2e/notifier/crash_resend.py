#!/usr/bin/python3
"""End-to-end: the real `botwarden-notifier serve` on a loopback port takes a
stream of detection events over HTTP in many batches from several senders; it
is killed with SIGKILL while requests are in flight, restarted, and the whole
stream is sent again. Every event must be stored exactly once and every
incident must count exactly its events.

Usage: crash_resend.py --notifier PATH/botwarden-notifier   (python3 standard library only)
"""
import argparse
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

TOKEN = "e2e-sensor-token-0123456789"
EVENTS = 3000
BATCH = 20
SENDERS = 4
SUBSCRIBERS_V4 = 150
SUBSCRIBERS_V6 = 50


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def subscriber(i):
    """Subscriber of event i: IPv4 addresses, and IPv6 /64s under /56 delegations."""
    k = i % (SUBSCRIBERS_V4 + SUBSCRIBERS_V6)
    if k < SUBSCRIBERS_V4:
        return "100.64.%d.%d" % (k // 200, k % 200 + 1)
    k -= SUBSCRIBERS_V4
    return "2001:db8:1000:%x%02x::/64" % (k, (i * 7) % 256)


def account_of(sub):
    """Leases imported below: even IPv4 hosts and every IPv6 delegation belong to accounts."""
    if ":" in sub:
        return "acct-v6-%s" % sub.split(":")[3][:-2]
    host = int(sub.split(".")[3])
    return "acct-v4-%d" % host if host % 2 == 0 else None


def make_events():
    events = []
    for i in range(EVENTS):
        sub = subscriber(i)
        minute = i // 10
        ts = "2026-11-25T%02d:%02d:%02dZ" % (8 + minute // 60, minute % 60, i % 60)
        events.append({
            "type": "detection", "schema": 1, "id": "%032x" % (0xE2E0000 + i), "ts": ts,
            "sensor": "sensor1", "subscriber": sub, "address": sub.split("/")[0] if ":" not in sub
            else sub.split("/")[0] + "1", "detector": ["bad_helo", "direct_to_mx", "snowshoe"][i % 3],
            "score": 4.2, "first_seen": ts, "last_seen": ts, "exempt": False,
            "evidence": {"sessions": 3, "window_seconds": 600, "sample_helos": ["[%s]" % sub]},
        })
    return events


def write_inputs(work, port):
    with open(os.path.join(work, "botwarden.toml"), "w") as f:
        f.write('[notifier]\ndatabase = "e2e.db"\nlog_level = "warn"\ntick_interval_seconds = 1\n'
                '[[notifier.sensors]]\nname = "sensor1"\ntoken = "%s"\n'
                '[web]\nlisten = ["127.0.0.1:%d"]\nthreads = 4\n'
                '[notices]\nenabled = false\n' % (TOKEN, port))  # incidents stay "detected": no outbox
    with open(os.path.join(work, "static.csv"), "w") as f:
        f.write("prefix,account,start,end\n")
        for k in range(SUBSCRIBERS_V4):
            host = k % 200 + 1
            if host % 2 == 0:
                f.write("100.64.%d.%d/32,acct-v4-%d,2026-11-01T00:00:00Z,\n" % (k // 200, host, host))
        for k in range(SUBSCRIBERS_V6):
            f.write("2001:db8:1000:%x00::/56,acct-v6-%x,2026-11-01T00:00:00Z,\n" % (k, k))


class Sender:
    """Posts batches from a shared queue over keep-alive connections; records results."""

    def __init__(self, port, batches):
        self.port = port
        self.batches = list(batches)
        self.lock = threading.Lock()
        self.next = 0
        self.in_flight = 0
        self.done = 0
        self.connection_errors = 0
        self.cut_mid_request = 0  # the connection broke after the request was (partly) sent
        self.statuses = {}
        self.failed_batches = []

    def take(self):
        with self.lock:
            if self.next >= len(self.batches):
                return None
            self.next += 1
            return self.batches[self.next - 1]

    def worker(self):
        conn = None
        while True:
            batch = self.take()
            if batch is None:
                break
            body = json.dumps({"events": batch})
            with self.lock:
                self.in_flight += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                conn.request("POST", "/api/v1/events", body,
                             {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
                response = conn.getresponse()
                data = response.read()
                if response.status != 200:
                    fail("HTTP %d: %s" % (response.status, data[:200]))
                results = json.loads(data)["results"]
                if len(results) != len(batch):
                    fail("%d results for %d events" % (len(results), len(batch)))
                with self.lock:
                    for r in results:
                        self.statuses[r["status"]] = self.statuses.get(r["status"], 0) + 1
                        if r["status"] == "rejected":
                            fail("rejected: %s" % r)
                    self.done += 1
            except (ConnectionError, http.client.HTTPException, OSError) as e:
                with self.lock:
                    self.connection_errors += 1
                    if not isinstance(e, ConnectionRefusedError):
                        self.cut_mid_request += 1
                    self.failed_batches.append(batch)
                conn = None
            finally:
                with self.lock:
                    self.in_flight -= 1

    def run(self, kill_after=None, server=None):
        threads = [threading.Thread(target=self.worker) for _ in range(SENDERS)]
        for t in threads:
            t.start()
        killed_with_in_flight = None
        if kill_after is not None:
            deadline = time.time() + 60
            while time.time() < deadline:
                with self.lock:
                    if self.done >= kill_after and self.in_flight > 0:
                        killed_with_in_flight = self.in_flight
                        server.send_signal(signal.SIGKILL)
                        break
                time.sleep(0.0005)
            else:
                fail("never reached %d batches with requests in flight" % kill_after)
            server.wait()
            # Whatever was still queued would only fail to connect: drop it.
            with self.lock:
                self.next = len(self.batches)
        for t in threads:
            t.join()
        return killed_with_in_flight


def start_server(notifier, work, port):
    log = open(os.path.join(work, "serve.log"), "ab")
    server = subprocess.Popen([notifier, "-c", "botwarden.toml", "serve"], cwd=work, stdout=log, stderr=log)
    deadline = time.time() + 20
    while time.time() < deadline:
        if server.poll() is not None:
            fail("serve exited with %d:\n%s" % (server.returncode, open(os.path.join(work, "serve.log")).read()))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    fail("serve did not listen on %d" % port)


def cli(notifier, work, *args):
    out = subprocess.run([notifier, "-c", "botwarden.toml", *args], cwd=work, capture_output=True, text=True)
    if out.returncode != 0:
        fail("%s exited %d: %s" % (" ".join(args), out.returncode, out.stderr))
    return out.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--notifier", required=True)
    args = parser.parse_args()
    notifier = os.path.abspath(args.notifier)
    events = make_events()
    batches = [events[i:i + BATCH] for i in range(0, len(events), BATCH)]

    with tempfile.TemporaryDirectory(prefix="botwarden-e2e-notifier-") as work:
        port = free_port()
        write_inputs(work, port)
        print(cli(notifier, work, "import-leases", "--format", "static-csv", "static.csv").strip())

        server = start_server(notifier, work, port)
        first = Sender(port, batches)
        in_flight = first.run(kill_after=len(batches) * 2 // 5, server=server)
        print("run 1: %d batches answered, SIGKILL with %d requests in flight, %d cut mid-request, %d refused: %s"
              % (first.done, in_flight, first.cut_mid_request, first.connection_errors - first.cut_mid_request,
                 first.statuses))
        if first.cut_mid_request < 1:
            fail("no request was cut by the kill: nothing was in flight")
        if first.done >= len(batches):
            fail("the whole stream was answered before the kill")

        server = start_server(notifier, work, port)
        second = Sender(port, batches)
        second.run()
        server.send_signal(signal.SIGTERM)
        if server.wait(timeout=30) != 0:
            fail("serve exited with %d after SIGTERM" % server.returncode)
        print("run 2: %d batches answered: %s" % (second.done, second.statuses))
        if second.connection_errors or second.done != len(batches):
            fail("run 2 lost %d requests" % second.connection_errors)
        if second.statuses.get("accepted", 0) + second.statuses.get("duplicate", 0) != EVENTS:
            fail("run 2 results do not cover the stream")
        if first.statuses.get("accepted", 0) + second.statuses.get("accepted", 0) > EVENTS:
            fail("more acceptances than events")

        db = sqlite3.connect(os.path.join(work, "e2e.db"))
        stored = [row[0] for row in db.execute("SELECT id FROM events")]
        if len(stored) != EVENTS or set(stored) != {e["id"] for e in events}:
            fail("stored %d events (%d distinct), expected exactly the %d of the stream"
                 % (len(stored), len(set(stored)), EVENTS))
        unlinked = db.execute("SELECT COUNT(*) FROM events WHERE incident_id IS NULL").fetchone()[0]
        if unlinked:
            fail("%d events without an incident" % unlinked)

        expected = {}
        for e in events:
            account = account_of(e["subscriber"])
            key = ("account:" + account) if account else ("subscriber:" + e["subscriber"])
            expected[key] = expected.get(key, 0) + 1
        incidents = json.loads(cli(notifier, work, "incidents", "list", "--json", "--limit", "100000"))
        got = {}
        for incident in incidents:
            key = ("account:" + incident["account"]) if incident["account"] else ("subscriber:" + incident["subscriber"])
            if key in got:
                fail("two incidents for %s" % key)
            got[key] = incident["detection_count"]
            if incident["state"] != "detected":
                fail("incident %d is %s, expected detected" % (incident["id"], incident["state"]))
        if got != expected:
            diff = {k: (got.get(k), expected.get(k)) for k in set(got) | set(expected) if got.get(k) != expected.get(k)}
            fail("incident counts differ (got, expected): %s" % dict(list(diff.items())[:10]))
        print("OK: %d events stored once, %d incidents (%d attributed) each counting exactly its events"
              % (EVENTS, len(got), sum(1 for k in got if k.startswith("account:"))))


if __name__ == "__main__":
    main()
