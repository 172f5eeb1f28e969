#!/usr/bin/python3
"""The walled-garden notice page stand-in: answers every request with the
client address it sees, so the test can prove DNAT kept the subscriber's
source address. Usage: notice_page.py ADDRESS PORT"""
import http.server
import socket
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("NOTICE PAGE client=%s host=%s\n" % (self.client_address[0], self.headers.get("Host", ""))).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET


Server((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
