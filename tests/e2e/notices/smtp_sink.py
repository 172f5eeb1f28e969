#!/usr/bin/python3
"""A real SMTP server for botwarden's e2e tests (Debian's python3-aiosmtpd;
run it with /usr/bin/python3). Every accepted message is stored as
MAILDIR/<recipient>/<n>.eml, one folder per mailbox. Recipients whose local
part starts with "reject" get 550, "tempfail" get 451, to exercise the
outbox's permanent/transient handling.

With --tls-cert/--tls-key it offers and requires STARTTLS; with
--auth USER:PASSWORD it requires AUTH (over TLS) with those credentials.

Usage: smtp_sink.py --maildir DIR [--port N] [--tls-cert PEM --tls-key PEM] [--auth USER:PASSWORD]
prints "READY <port>" when listening.
"""
import argparse
import os
import signal
import socket
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


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


class Authenticator:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == self.user \
            and auth_data.password == self.password
        return AuthResult(success=ok, handled=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--auth")
    args = parser.parse_args()
    port = args.port
    if port == 0:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
    os.makedirs(args.maildir, exist_ok=True)
    kwargs = {}
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        kwargs.update(tls_context=context, require_starttls=True)
    if args.auth:
        user, password = args.auth.split(":", 1)
        kwargs.update(authenticator=Authenticator(user, password), auth_required=True, auth_require_tls=True)
    controller = Controller(Sink(args.maildir), hostname="127.0.0.1", port=port,
                            decode_data=False, data_size_limit=1 << 20, **kwargs)
    controller.start()
    print("READY %d" % port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
