#!/usr/bin/python3
"""Detection on a capture nobody on the team generated: real TCP stacks, a
real SMTP client library (Python's smtplib) and real SMTP servers (aiosmtpd),
recorded by tcpdump, then read exactly as an ISP would:

    botwarden-sensor --config F --read PCAP --events OUT.jsonl

Everything runs in a private network namespace (unshare --net; loopback only).
Subscribers are 127.0.0.0/24, the ISP relay 127.0.2.1 (ports 25 and 587), and
twelve receiving MX servers 127.0.1.1-12 offering STARTTLS (a throw-away
self-signed certificate) and PIPELINING, four of which refuse listed
addresses at RCPT, as real receivers do; 127.0.1.13 refuses listed addresses
at the banner (554 instead of 220, RFC 5321 §3.1, as Postfix postscreen does).

  mail client   127.0.0.10  EHLO [10.0.0.5] (a NATed Thunderbird) to the relay on 587
  relay user    127.0.0.11  EHLO DESKTOP-7H2K9QD (Outlook) to the relay on 25
  business MTA  127.0.0.12  EHLO mail.baeckerei-mueller.de straight to three MX
  home server   127.0.0.13  EHLO nas.fam-jansen.nl, two MX, a few messages
  TLS MTA       127.0.0.14  EHLO mta1.hosting-nord.example, STARTTLS (unverified, as
                            opportunistic TLS is, RFC 7435) to all twelve MX
  list server   127.0.0.15  EHLO lists.vereinsnachrichten.example, a pipelined
                            (RFC 2920) burst to all twelve MX, as its own bounce domain
  bot (burst)   127.0.0.20  EHLO with a random name, twelve MX in a few seconds
  bot (lies)    127.0.0.21  HELO localhost / the recipient's domain, eight MX
  bot (literal) 127.0.0.22  EHLO [198.51.100.77] (not its address), six MX
  bot (rDNS)    127.0.0.23  EHLO 127-0-0-23.dyn.isp.example (its generic reverse-DNS
                            name), four MX, every message accepted
  bot (WIN-)    127.0.0.24  EHLO WIN-XAKBMAYGCYK (Windows Server's default name, letters
                            the bigram model alone calls human), two MX, accepted
  snowshoe      127.0.0.30-34  five look-alike senders (mailNNN.silver-river.example,
                            offers@cheap-deals.example) to two MX; .30 and .31 are listed
                            and also refused at 127.0.1.13's banner
  snowshoe      127.0.0.35  listed, tries 127.0.1.13 twice and is refused at the
                            banner both times: it never says a word

Expected: events for every bot (each one at least once; .35 a snowshoe event
with the members' cluster id), none for the six benign subscribers. Needs
root (namespace, port 25, tcpdump): exits 77 (skipped) otherwise.
Usage: real_clients.py --sensor PATH [--keep DIR]"""
import argparse
import asyncio
import json
import os
import random
import smtplib
import socket
import ssl
import subprocess
import threading
import sys
import tempfile
import time

RELAY = "127.0.2.1"
MX = ["127.0.1.%d" % i for i in range(1, 13)]
BLOCKLISTING = set(MX[:4])  # these receivers refuse listed senders
POSTSCREEN = "127.0.1.13"  # refuses listed senders at the banner
LISTED = {"127.0.0.20", "127.0.0.21", "127.0.0.22", "127.0.0.30", "127.0.0.31", "127.0.0.35"}
BENIGN = {"127.0.0.10": "mail client", "127.0.0.11": "relay user", "127.0.0.12": "business MTA",
          "127.0.0.13": "home server", "127.0.0.14": "TLS MTA", "127.0.0.15": "list server"}
BOTS = {"127.0.0.20": "bot (burst)", "127.0.0.21": "bot (lies)", "127.0.0.22": "bot (literal)",
        "127.0.0.23": "bot (rDNS)", "127.0.0.24": "bot (WIN-)"}
SNOWSHOE = {"127.0.0.%d" % i: "snowshoe" for i in range(30, 35)}
SNOWSHOE_REFUSED = "127.0.0.35"
BOTS.update(SNOWSHOE)
BOTS[SNOWSHOE_REFUSED] = "snowshoe (banner)"


def start_postscreen():
    """127.0.1.13:25 refuses listed clients at the banner and hangs up."""
    loop = asyncio.new_event_loop()

    async def client(reader, writer):
        peer = writer.get_extra_info("peername")[0]
        if peer in LISTED:
            writer.write(("554 5.7.1 Service unavailable; Client host [%s] blocked using zen.spamhaus.org\r\n"
                          % peer).encode())
        else:
            writer.write(b"421 4.3.2 mx13.recipient13.example.net service not available\r\n")
        await writer.drain()
        writer.close()

    server = loop.run_until_complete(asyncio.start_server(client, POSTSCREEN, 25))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def stop():
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
    return stop


def tls_context(work):
    """A throw-away self-signed certificate: receivers offer STARTTLS, senders use it unverified."""
    cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=mx.recipient.example.net"], check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def start_servers(work):
    from aiosmtpd.controller import Controller

    class Receiver:
        def __init__(self, blocklisting):
            self.blocklisting = blocklisting

        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            session.host_name = hostname
            return responses[:1] + ["250-PIPELINING"] + responses[1:]

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            peer = session.peer[0]
            if self.blocklisting and peer in LISTED:
                return "550 5.7.1 Service unavailable; client [%s] blocked using zen.spamhaus.org" % peer
            envelope.rcpt_tos.append(address)
            return "250 2.1.5 OK"

        async def handle_DATA(self, server, session, envelope):
            return "250 2.0.0 queued as %08X" % random.getrandbits(32)

    controllers = []
    context = tls_context(work)
    for i, addr in enumerate(MX):
        c = Controller(Receiver(addr in BLOCKLISTING), hostname=addr, port=25,
                       server_hostname="mx%d.recipient%d.example.net" % (1 + i % 2, i), ident="ESMTP Postfix",
                       tls_context=context)
        c.start()
        controllers.append(c)
    for port in (25, 587):
        c = Controller(Receiver(False), hostname=RELAY, port=port, server_hostname="smtp.isp.example",
                       ident="ESMTP")
        c.start()
        controllers.append(c)
    return controllers


def message(frm, to, subject):
    return ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%08x@x>\r\n\r\nHello,\r\nsee you soon.\r\n"
            % (frm, to, subject, random.getrandbits(32)))


def send(source, host, port, helo, frm, rcpts, use_helo=False, starttls=False):
    """One SMTP session with a real client library; refusals are normal."""
    try:
        with smtplib.SMTP(host, port, local_hostname=helo, source_address=(source, 0), timeout=10) as s:
            if use_helo:
                s.helo(helo)
            if starttls:
                s.starttls(context=ssl._create_unverified_context())
            try:
                s.sendmail(frm, rcpts, message(frm, rcpts[0], "hello"))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused):
                pass
    except (OSError, smtplib.SMTPException) as e:
        print("  session %s -> %s:%d: %s" % (source, host, port, e))


def send_pipelined(source, host, helo, frm, rcpts):
    """A list server's session with RFC 2920 pipelining: MAIL, every RCPT and DATA in one write."""
    with socket.create_connection((host, 25), timeout=10, source_address=(source, 0)) as sock:
        f = sock.makefile("rb")

        def reply():
            lines = []
            while True:
                line = f.readline().decode()
                lines.append(line)
                if len(line) < 4 or line[3] != "-":
                    return lines

        reply()
        sock.sendall(("EHLO %s\r\n" % helo).encode())
        if not any("PIPELINING" in line for line in reply()):
            raise RuntimeError("%s does not offer PIPELINING" % host)
        batch = "MAIL FROM:<%s>\r\n" % frm + "".join("RCPT TO:<%s>\r\n" % r for r in rcpts) + "DATA\r\n"
        sock.sendall(batch.encode())
        for _ in range(len(rcpts) + 2):
            reply()
        sock.sendall((message(frm, rcpts[0], "Vereinsnachrichten November").replace("\r\n.", "\r\n..") +
                      "\r\n.\r\nQUIT\r\n").encode())
        reply()
        reply()


def traffic():
    rng = random.Random(20261125)
    # Benign senders first and throughout: they must stay silent.
    for n in range(4):
        send("127.0.0.10", RELAY, 587, "[10.0.0.5]", "anna.visser@homemail.example",
             ["kees%d@webpost.example" % n])
        send("127.0.0.11", RELAY, 25, "DESKTOP-7H2K9QD", "j.smith@isp-customer.example",
             ["friend%d@mailgiant.example" % n])
    for i in range(5):
        send("127.0.0.12", MX[4 + i % 3], 25, "mail.baeckerei-mueller.de", "bestellung@baeckerei-mueller.de",
             ["kunde%d@recipient%d.example.net" % (i, 4 + i % 3)])
    for i in range(3):
        send("127.0.0.13", MX[8 + i % 2], 25, "nas.fam-jansen.nl", "root@fam-jansen.nl",
             ["piet@recipient%d.example.net" % (8 + i % 2)])
    for i, mx in enumerate(MX):  # opportunistic TLS to every receiver
        send("127.0.0.14", mx, 25, "mta1.hosting-nord.example", "rechnung@hosting-nord.example",
             ["kunde%d@recipient%d.example.net" % (i, i)], starttls=True)
    for i, mx in enumerate(MX):  # a list's monthly issue, pipelined, to every receiver in a burst
        send_pipelined("127.0.0.15", mx, "lists.vereinsnachrichten.example",
                       "bounces+%d@vereinsnachrichten.example" % i,
                       ["mitglied%d@recipient%d.example.net" % (k, i) for k in range(3)])
    # Bots.
    send(SNOWSHOE_REFUSED, POSTSCREEN, 25, "-", "-", ["-"])  # refused at the banner before the campaign is seen
    for n, member in enumerate(sorted(SNOWSHOE)):
        helo = "mail%d.silver-river.example" % (101 + n)
        if member in LISTED:
            send(member, POSTSCREEN, 25, helo, "offers@cheap-deals.example", ["x@recipient13.example.net"])
        for mx in (MX[9], MX[10]):
            send(member, mx, 25, helo, "offers@cheap-deals.example",
                 ["deal%d@recipient%s.example.net" % (n, mx.rsplit(".", 1)[1])])
    send(SNOWSHOE_REFUSED, POSTSCREEN, 25, "-", "-", ["-"])  # and again once it is
    for i, mx in enumerate(MX[4:8]):
        send("127.0.0.23", mx, 25, "127-0-0-23.dyn.isp.example", "info@pharma-direct.example",
             ["patient%d@recipient%d.example.net" % (i, i + 4)])
    for i, mx in enumerate(MX[6:8]):
        send("127.0.0.24", mx, 25, "WIN-XAKBMAYGCYK", "invoice@accounts-dept.example",
             ["billing%d@recipient%d.example.net" % (i, i + 6)])
    alphabet = "bcdfghjklmnpqrstvwxz"
    for i, mx in enumerate(MX):  # a burst to twelve servers, a new random name each time
        helo = "".join(rng.choice(alphabet) for _ in range(rng.randint(7, 11)))
        send("127.0.0.20", mx, 25, helo, "%s@%s.example" % (helo[:4], helo),
             ["user%d@recipient%d.example.net" % (rng.randint(1, 999), i)])
    for i, mx in enumerate(MX[:8]):
        helo = "localhost" if i % 2 == 0 else "recipient%d.example.net" % i
        send("127.0.0.21", mx, 25, helo, "news@offers-%d.example" % i,
             ["info@recipient%d.example.net" % i], use_helo=True)
    for i, mx in enumerate(MX[2:8]):
        send("127.0.0.22", mx, 25, "[198.51.100.77]", "support@paypa1-secure.example",
             ["account%d@recipient%d.example.net" % (i, i + 2)])
    # Benign again after the bots.
    send("127.0.0.10", RELAY, 587, "[10.0.0.5]", "anna.visser@homemail.example", ["oma@webpost.example"])
    send("127.0.0.12", MX[5], 25, "mail.baeckerei-mueller.de", "bestellung@baeckerei-mueller.de",
         ["lieferant@recipient5.example.net"])


def inner(args):
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    work = args.keep or tempfile.mkdtemp(prefix="bw-real-clients-")
    os.makedirs(work, exist_ok=True)
    pcap = os.path.join(work, "capture.pcap")
    tcpdump = subprocess.Popen(["tcpdump", "-i", "lo", "-s", "0", "-U", "-w", pcap, "tcp port 25 or tcp port 587"],
                               stderr=subprocess.PIPE, text=True)
    line = tcpdump.stderr.readline()
    if "listening on" not in line:
        print("FAIL: tcpdump did not start: " + line)
        return 1
    controllers = start_servers(work)
    stop_postscreen = start_postscreen()
    try:
        traffic()
    finally:
        time.sleep(0.5)
        for c in controllers:
            c.stop()
        stop_postscreen()
        # tcpdump writes behind the kernel: stop it once the file stops growing.
        last, deadline = -1, time.time() + 20
        while time.time() < deadline:
            time.sleep(0.5)
            size = os.path.getsize(pcap)
            if size == last:
                break
            last = size
        tcpdump.terminate()
        tcpdump.wait(10)
        print("tcpdump: " + " ".join(tcpdump.stderr.read().split()))

    config = os.path.join(work, "sensor.toml")
    with open(config, "w") as f:
        f.write('[sensor]\nsubscriber_prefixes = ["127.0.0.0/24"]\nsmtp_relays = ["%s"]\n' % RELAY)
    events_path = os.path.join(work, "events.jsonl")
    log_path = os.path.join(work, "smtp.jsonl")
    run = subprocess.run([args.sensor, "--config", config, "--read", pcap, "--events", events_path,
                          "--smtp-log", log_path, "--no-progress"], capture_output=True, text=True)
    if run.returncode != 0:
        print("FAIL: the sensor exited %d: %s" % (run.returncode, run.stderr))
        return 1
    sessions = [json.loads(l) for l in open(log_path)]
    events = [json.loads(l) for l in open(events_path)]
    print("capture %s: %d bytes, %d SMTP session records, %d events" % (pcap, os.path.getsize(pcap), len(sessions),
                                                                         len(events)))
    seen_helos = {(s["id.orig_h"], s.get("helo", "")) for s in sessions}
    if ("127.0.0.11", "DESKTOP-7H2K9QD") not in seen_helos or ("127.0.0.21", "localhost") not in seen_helos:
        print("FAIL: the session log misses HELOs the clients sent: %s" % sorted(seen_helos))
        return 1
    by_client = {}
    for rec in sessions:
        by_client.setdefault(rec["id.orig_h"], []).append(rec)
    tls = by_client.get("127.0.0.14", [])
    piped = by_client.get("127.0.0.15", [])
    refused = by_client.get(SNOWSHOE_REFUSED, [])
    if len(tls) != len(MX) or not all(rec["tls"] for rec in tls):
        print("FAIL: the TLS MTA's sessions are not %d STARTTLS records: %s" % (len(MX), tls))
        return 1
    if len(piped) != len(MX) or not all(len(rec["rcptto"]) == 3 and rec["data_accepted"] for rec in piped):
        print("FAIL: the pipelined sessions are not %d records of 3 recipients, delivered: %s" % (len(MX), piped))
        return 1
    if len(refused) != 2 or any(rec["helo"] or rec["trans_depth"] or not rec["rejected"] for rec in refused):
        print("FAIL: %s's sessions are not two refusals at the banner: %s" % (SNOWSHOE_REFUSED, refused))
        return 1
    flagged = {}
    for e in events:
        flagged.setdefault(e["subscriber"], set()).add(e["detector"])
    ok = True
    for addr, role in sorted(BOTS.items()):
        got = flagged.get(addr)
        print("  %-17s %s: %s" % (role, addr, ", ".join(sorted(got)) if got else "NOT DETECTED"))
        ok &= bool(got)
    clusters = {e["subscriber"]: e["evidence"].get("cluster_id") for e in events if e["detector"] == "snowshoe"}
    if SNOWSHOE_REFUSED not in clusters or clusters[SNOWSHOE_REFUSED] not in {clusters.get(m) for m in SNOWSHOE}:
        print("FAIL: %s (refused at the banner) is not in the snowshoe members' cluster: %s" % (SNOWSHOE_REFUSED, clusters))
        ok = False
    for addr, role in sorted(BENIGN.items()):
        got = flagged.get(addr)
        print("  %-17s %s: %s" % (role, addr, "FALSE POSITIVE " + ", ".join(sorted(got)) if got else "silent"))
        ok &= not got
    strangers = set(flagged) - set(BOTS) - set(BENIGN)
    if strangers:
        print("FAIL: events for addresses that sent nothing: %s" % sorted(strangers))
        ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sensor", required=True)
    p.add_argument("--keep")
    p.add_argument("--inner", action="store_true")
    args = p.parse_args()
    if args.inner:
        return inner(args)
    if os.geteuid() != 0:
        print("skipped: needs root (network namespace, port 25, tcpdump)")
        return 77
    cmd = ["unshare", "--net", "--", sys.executable, os.path.abspath(__file__), "--inner", "--sensor", args.sensor]
    if args.keep:
        cmd += ["--keep", args.keep]
    return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main())
