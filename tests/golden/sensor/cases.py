#!/usr/bin/python3
"""The golden cases: each function writes one small pcap (Zeek's
Traces/smtp/generate_smtp_pcap.py idea). Subscribers are 100.64.0.0/10 and
2001:db8:1000::/36, the relay is 198.51.100.25 (tests/golden/sensor/sensor.toml)."""
from pcapgen import (Pcap, Conn, LINK_ETHERNET, LINK_NULL, LINK_RAW, LINK_SLL, LINK_SLL2)

T0 = 1764096000.0  # 2025-11-25T18:40:00Z
SUB, SUB6 = "100.64.1.10", "2001:db8:1000::10"
MX, MX6 = "203.0.113.5", "2001:db8:9999::25"
RELAY = "198.51.100.25"

GREETING = b"220 mx.example.net ESMTP ready\r\n"
EHLO_REPLY = b"250-mx.example.net\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 STARTTLS\r\n"
BODY = b"Subject: hi\r\n\r\nhello\r\n..dot-stuffed\r\n.\r\n"  # 36 bytes + ".\r\n"


def simple_dialog(c, helo=b"EHLO pc1.example.org\r\n", mail=b"a@example.org", rcpts=(b"b@example.net",)):
    c.handshake()
    c.server(GREETING)
    c.client(helo)
    c.server(EHLO_REPLY)
    c.client(b"MAIL FROM:<" + mail + b">\r\n")
    c.server(b"250 2.1.0 Ok\r\n")
    for r in rcpts:
        c.client(b"RCPT TO:<" + r + b">\r\n")
        c.server(b"250 2.1.5 Ok\r\n")
    c.client(b"DATA\r\n")
    c.server(b"354 End data with <CR><LF>.<CR><LF>\r\n")
    c.client(BODY)
    c.server(b"250 2.0.0 Ok: queued as 1234\r\n")


def basic(p):
    """Two transactions, then QUIT; a second session to the relay on 587 (submission by relay rule)."""
    c = Conn(p, SUB, 40001, MX, 25, T0)
    simple_dialog(c, rcpts=(b"b@example.net", b"c@example.net"))
    c.client(b"MAIL FROM:<x@example.org> SIZE=100\r\n")
    c.server(b"250 Ok\r\n")
    c.client(b"RCPT TO:<y@example.net>\r\n")
    c.server(b"550 5.1.1 no such user\r\n")
    c.client(b"RSET\r\n")
    c.server(b"250 Ok\r\n")
    c.client(b"QUIT\r\n")
    c.server(b"221 Bye\r\n")
    c.close()
    r = Conn(p, SUB, 40002, RELAY, 587, T0 + 5)
    simple_dialog(r, helo=b"HELO pc1\r\n")
    r.client(b"QUIT\r\n")
    r.server(b"221 Bye\r\n")
    r.close()


def pipelining(p):
    """RFC 2920: MAIL, RCPT, RCPT, DATA in one segment; replies in one segment."""
    c = Conn(p, SUB, 40010, MX, 25, T0)
    c.handshake()
    c.server(GREETING)
    c.client(b"EHLO pc1.example.org\r\n")
    c.server(EHLO_REPLY)
    c.client(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nRCPT TO:<bad@example.net>\r\nDATA\r\n")
    c.server(b"250 Ok\r\n250 Ok\r\n550 5.1.1 unknown\r\n354 go ahead\r\n")
    c.client(BODY)
    c.server(b"250 queued\r\n")
    c.client(b"QUIT\r\n")
    c.server(b"221 Bye\r\n")
    c.close()


def starttls(p):
    """After 220 to STARTTLS everything is opaque, even bytes that look like SMTP."""
    c = Conn(p, SUB, 40020, MX, 25, T0)
    c.handshake()
    c.server(GREETING)
    c.client(b"EHLO pc1.example.org\r\n")
    c.server(EHLO_REPLY)
    c.client(b"STARTTLS\r\n")
    c.server(b"220 2.0.0 Ready to start TLS\r\n")
    c.client(b"\x16\x03\x01\x00\x05hello")
    c.client(b"MAIL FROM:<hidden@example.org>\r\n")
    c.server(b"\x16\x03\x03\x00\x02hi")
    c.close()


def partial(p):
    """Capture starts mid-session (no SYN, greeting missed) and ends inside DATA."""
    c = Conn(p, SUB, 40030, MX, 25, T0)
    c.client(b"EHLO late.example.org\r\n")
    c.server(EHLO_REPLY)
    c.client(b"MAIL FROM:<a@example.org>\r\n")
    c.server(b"250 Ok\r\n")
    c.client(b"RCPT TO:<b@example.net>\r\n")
    c.server(b"250 Ok\r\n")
    c.client(b"DATA\r\n")
    c.server(b"354 go\r\n")
    c.client(b"Subject: cut\r\n\r\nthe capture ends here")


def encapsulations(p):
    """One session each over 802.1Q, QinQ, PPPoE, MPLS and IPv6 (plain Ethernet)."""
    for i, (encap, client, server) in enumerate(
            [("vlan", SUB, MX), ("qinq", "100.64.2.20", MX), ("pppoe", "100.64.3.30", MX),
             ("mpls", "100.64.4.40", MX), (None, SUB6, MX6), ("pppoe", "2001:db8:1000::66", MX6)]):
        c = Conn(p, client, 41000 + i, server, 25, T0 + i, encap=encap)
        simple_dialog(c, helo=b"EHLO host%d\r\n" % i, mail=b"u%d@example.org" % i)
        c.client(b"QUIT\r\n")
        c.server(b"221 Bye\r\n")
        c.close()


def bare_lf(p):
    """Commands and replies ended by a bare LF, and a body ended by LF.LF."""
    c = Conn(p, SUB, 40040, MX, 25, T0)
    c.handshake()
    c.server(b"220 mx ready\n")
    c.client(b"HELO barelf\n")
    c.server(b"250 hi\n")
    c.client(b"MAIL FROM:<a@example.org>\n")
    c.server(b"250 ok\n")
    c.client(b"RCPT TO:<b@example.net>\n")
    c.server(b"250 ok\n")
    c.client(b"DATA\n")
    c.server(b"354 go\n")
    c.client(b"Subject: x\n\nbody\n.\n")
    c.server(b"250 queued\n")
    c.client(b"QUIT\n")
    c.server(b"221 bye\n")
    c.close()


def overlong(p):
    """A 700-byte HELO argument (truncated at 510 bytes of line) and an overlong reply."""
    c = Conn(p, SUB, 40050, MX, 25, T0)
    c.handshake()
    c.server(GREETING)
    c.client(b"HELO " + b"a" * 700 + b"\r\n")
    c.server(b"501 " + b"x" * 600 + b"\r\n")
    c.client(b"HELO short.example.org\r\n")
    c.server(b"250 ok\r\n")
    c.client(b"QUIT\r\n")
    c.server(b"221 bye\r\n")
    c.close()


def retransmission(p):
    """Duplicate segments, an overlapping retransmission, and segments out of order."""
    c = Conn(p, SUB, 40060, MX, 25, T0)
    c.handshake()
    s = c.server(GREETING)
    c.raw(False, s, c.cseq, 0x18, GREETING)  # exact duplicate
    first = c.client(b"EHLO retrans.example.org\r\n")
    c.raw(True, first, c.sseq, 0x18, b"EHLO retrans.example.org\r\n")
    c.server(b"250 ok\r\n")
    # Client sends MAIL then RCPT, but the RCPT segment arrives first.
    mail = b"MAIL FROM:<a@example.org>\r\n"
    rcpt = b"RCPT TO:<b@example.net>\r\n"
    m = c.client(mail, send=False)
    r = c.client(rcpt, send=False)
    c.raw(True, r, c.sseq, 0x18, rcpt)
    c.raw(True, m, c.sseq, 0x18, mail)
    c.raw(True, m + 5, c.sseq, 0x18, mail[5:] + rcpt[:4])  # overlapping retransmission
    c.server(b"250 ok\r\n250 ok\r\n")
    c.client(b"QUIT\r\n")
    c.server(b"221 bye\r\n")
    c.close()


def gap(p):
    """A client segment never captured: the record is partial, the next command still parsed."""
    c = Conn(p, SUB, 40070, MX, 25, T0)
    c.handshake()
    c.server(GREETING)
    c.client(b"EHLO gap.example.org\r\n")
    c.server(b"250 ok\r\n")
    c.client(b"MAIL FROM:<lost@example.org>\r\n", send=False)
    c.server(b"250 ok\r\n")
    c.client(b"RCPT TO:<b@example.net>\r\n")
    c.server(b"250 ok\r\n")
    c.client(b"QUIT\r\n")
    c.server(b"221 bye\r\n")
    c.close()


def auth_bdat(p):
    """AUTH LOGIN with SASL continuations (never logged), then BDAT chunks (RFC 3030)."""
    c = Conn(p, SUB, 40080, RELAY, 587, T0)
    c.handshake()
    c.server(GREETING)
    c.client(b"EHLO pc1\r\n")
    c.server(EHLO_REPLY)
    c.client(b"AUTH LOGIN\r\n")
    c.server(b"334 VXNlcm5hbWU6\r\n")
    c.client(b"c2VjcmV0LXVzZXI=\r\n")  # "secret-user"
    c.server(b"334 UGFzc3dvcmQ6\r\n")
    c.client(b"aHVudGVyMg==\r\n")  # "hunter2"
    c.server(b"235 2.7.0 Authentication successful\r\n")
    c.client(b"MAIL FROM:<a@example.org>\r\n")
    c.server(b"250 ok\r\n")
    c.client(b"RCPT TO:<b@example.net>\r\n")
    c.server(b"250 ok\r\n")
    c.client(b"BDAT 10\r\n0123456789")
    c.server(b"250 10 octets\r\n")
    c.client(b"BDAT 5 LAST\r\nQUIT\r")  # chunk bytes that look like a command are not one
    c.server(b"250 message ok\r\n")
    c.client(b"QUIT\r\n")
    c.server(b"221 bye\r\n")
    c.close()


def rejected(p):
    """A 554 greeting (session refused), and all recipients refused with 550."""
    c = Conn(p, SUB, 40090, MX, 25, T0)
    c.handshake()
    c.server(b"554 5.7.1 listed at a DNSBL\r\n")
    c.client(b"QUIT\r\n")
    c.server(b"221 bye\r\n")
    c.close()
    d = Conn(p, SUB, 40091, MX, 25, T0 + 1)
    d.handshake()
    d.server(GREETING)
    d.client(b"HELO [100.64.1.10]\r\n")
    d.server(b"250 ok\r\n")
    d.client(b"MAIL FROM:<spam@example.org>\r\n")
    d.server(b"250 ok\r\n")
    d.client(b"RCPT TO:<v1@example.net>\r\n")
    d.server(b"550 5.7.1 rejected\r\n")
    d.client(b"RCPT TO:<v2@example.net>\r\n")
    d.server(b"550 5.7.1 rejected\r\n")
    d.client(b"QUIT\r\n")
    d.server(b"221 bye\r\n")
    d.raw(True, d.cseq, d.sseq, 0x04)  # RST instead of FIN


def implicit_tls(p):
    """Port 465: TLS from the first byte; port 2526 found by its greeting; non-subscriber traffic ignored."""
    c = Conn(p, SUB, 40100, MX, 465, T0)
    c.handshake()
    c.client(b"\x16\x03\x01\x00\x10EHLO not-a-command\r\n")
    c.server(b"\x16\x03\x03\x00\x10")
    c.close()
    d = Conn(p, SUB, 40101, MX, 2526, T0 + 1)
    d.handshake()
    d.server(GREETING)
    d.client(b"EHLO odd-port\r\n")
    d.server(b"250 ok\r\n")
    d.client(b"QUIT\r\n")
    d.server(b"221 bye\r\n")
    d.close()
    e = Conn(p, "192.0.2.1", 40102, MX, 25, T0 + 2)  # neither side a subscriber
    simple_dialog(e)
    e.close()



def linktype_case(linktype):
    def build(p):
        c = Conn(p, SUB, 40200 + linktype % 100, MX, 25, T0)
        simple_dialog(c, helo=b"EHLO link%d\r\n" % linktype)
        c.client(b"QUIT\r\n")
        c.server(b"221 bye\r\n")
        c.close()
    return build


# name -> (link type, builder)
CASES = {
    "basic": (LINK_ETHERNET, basic),
    "pipelining": (LINK_ETHERNET, pipelining),
    "starttls": (LINK_ETHERNET, starttls),
    "partial": (LINK_ETHERNET, partial),
    "encapsulations": (LINK_ETHERNET, encapsulations),
    "bare_lf": (LINK_ETHERNET, bare_lf),
    "overlong": (LINK_ETHERNET, overlong),
    "retransmission": (LINK_ETHERNET, retransmission),
    "gap": (LINK_ETHERNET, gap),
    "auth_bdat": (LINK_ETHERNET, auth_bdat),
    "rejected": (LINK_ETHERNET, rejected),
    "implicit_tls": (LINK_ETHERNET, implicit_tls),
    "link_sll": (LINK_SLL, linktype_case(LINK_SLL)),
    "link_sll2": (LINK_SLL2, linktype_case(LINK_SLL2)),
    "link_raw": (LINK_RAW, linktype_case(LINK_RAW)),
    "link_null": (LINK_NULL, linktype_case(LINK_NULL)),
}


def write_case(name, path):
    linktype, build = CASES[name]
    p = Pcap(linktype)
    build(p)
    p.write(path)
