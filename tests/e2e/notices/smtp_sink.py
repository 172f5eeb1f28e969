#!/usr/bin/python3
"""A real SMTP server for botwarden's e2e tests (Debian's python3-aiosmtpd;
run it with /usr/bin/python3). Every accepted message is stored as
MAILDIR/<recipient>/<n>.eml, one folder per mailbox. Recipients whose local
part starts with "reject" get 550, "tempfail" get 451, to exercise the
outbox's permanent/transient handling.

Usage: smtp_sink.py --maildir DIR [--port N]   prints "READY <port>" when listening.
"""
import argparse
import os
import signal
import socket
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, maildir):
        self.maildir = maildir
        self.lock = threading.Lock()
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0]
        if local.startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("tempfail"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            folder = os.path.join(self.maildir, rcpt)
            os.makedirs(folder, exist_ok=True)
            with self.lock:
                self.count += 1
                n = self.count
            tmp = os.path.join(folder, ".%d.tmp" % n)
            with open(tmp, "wb") as f:
                f.write(envelope.original_content)  # exactly the bytes after dot-unstuffing
            os.rename(tmp, os.path.join(folder, "%d-%d.eml" % (os.getpid(), n)))
        return "250 2.0.0 stored"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    port = args.port
    if port == 0:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
    os.makedirs(args.maildir, exist_ok=True)
    controller = Controller(Sink(args.maildir), hostname="127.0.0.1", port=port,
                            decode_data=False, data_size_limit=1 << 20)
    controller.start()
    print("READY %d" % port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
