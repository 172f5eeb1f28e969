#!/usr/bin/python3
"""Tiny pcap writer for the sensor's golden tests (standard library only).

Builds TCP conversations over Ethernet, 802.1Q, QinQ, PPPoE, MPLS, Linux
SLL/SLL2, raw IP and loopback, IPv4 and IPv6, with control over segment
order so retransmissions, reordering and gaps can be written on purpose.
"""
import ipaddress
import struct

LINK_ETHERNET, LINK_NULL, LINK_RAW, LINK_SLL, LINK_SLL2 = 1, 0, 101, 113, 276


def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Pcap:
    def __init__(self, linktype=LINK_ETHERNET):
        self.linktype = linktype
        self.records = []

    def add(self, ts, frame):
        self.records.append((ts, frame))

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, self.linktype))
            for ts, frame in self.records:
                sec = int(ts)
                usec = int(round((ts - sec) * 1_000_000))
                f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
                f.write(frame)


def ip_packet(src, dst, proto, payload, ident=1):
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if s.version == 4:
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000, 64,
                          proto, 0, s.packed, d.packed)
        hdr = hdr[:10] + struct.pack("!H", _checksum(hdr)) + hdr[12:]
        return hdr + payload
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), proto, 64, s.packed, d.packed) + payload


def tcp_segment(src, dst, sport, dport, seq, ack, flags, payload):
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags,
                      65535, 0, 0)
    pseudo = (s.packed + d.packed + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
              if s.version == 4 else
              s.packed + d.packed + struct.pack("!IBBBB", len(hdr) + len(payload), 0, 0, 0, 6))
    csum = _checksum(pseudo + hdr + payload)
    return hdr[:16] + struct.pack("!H", csum) + hdr[18:] + payload


ETHERTYPE = {4: 0x0800, 6: 0x86DD}


def encapsulate(ip, version, encap, linktype):
    """Wraps an IP packet for the capture's link type; `encap` names the tags."""
    et = ETHERTYPE[version]
    if linktype == LINK_RAW:
        return ip
    if linktype == LINK_NULL:
        return struct.pack("<I", 2 if version == 4 else 30) + ip
    if linktype == LINK_SLL:
        return struct.pack("!HHH8sH", 0, 1, 6, b"\x02\0\0\0\0\x01\0\0", et) + ip
    if linktype == LINK_SLL2:
        return struct.pack("!HHIHBB8s", et, 0, 2, 1, 0, 6, b"\x02\0\0\0\0\x01\0\0") + ip
    macs = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01"
    if encap == "vlan":
        return macs + struct.pack("!HHH", 0x8100, 100, et) + ip
    if encap == "qinq":
        return macs + struct.pack("!HHHHH", 0x88A8, 200, 0x8100, 100, et) + ip
    if encap == "pppoe":
        ppp = 0x0021 if version == 4 else 0x0057
        return macs + struct.pack("!HBBHHH", 0x8864, 0x11, 0, 0x1234, len(ip) + 2, ppp) + ip
    if encap == "mpls":
        return macs + struct.pack("!HII", 0x8847, (16 << 12) | 0x40, (17 << 12) | 0x140) + ip
    return macs + struct.pack("!H", et) + ip


class Conn:
    """One TCP connection; client() and server() send data in order unless told otherwise."""

    def __init__(self, pcap, client, cport, server, sport, t0, encap=None, cseq=1000, sseq=5000):
        self.p, self.c, self.cp, self.s, self.sp = pcap, client, cport, server, sport
        self.t = t0
        self.encap = encap
        self.version = ipaddress.ip_address(client).version
        self.cseq, self.sseq = cseq, sseq
        self.ident = 1

    def tick(self, dt=0.01):
        self.t += dt
        return self.t

    def raw(self, from_client, seq, ack, flags, payload=b""):
        src, dst, sp, dp = ((self.c, self.s, self.cp, self.sp) if from_client
                            else (self.s, self.c, self.sp, self.cp))
        seg = tcp_segment(src, dst, sp, dp, seq, ack, flags, payload)
        self.ident += 1
        ip = ip_packet(src, dst, 6, seg, self.ident)
        self.p.add(self.tick(), encapsulate(ip, self.version, self.encap, self.p.linktype))

    def handshake(self):
        self.raw(True, self.cseq, 0, 0x02)
        self.raw(False, self.sseq, self.cseq + 1, 0x12)
        self.cseq += 1
        self.sseq += 1
        self.raw(True, self.cseq, self.sseq, 0x10)

    def client(self, data, send=True):
        """Sends (or, with send=False, skips: a gap) client bytes; returns their seq."""
        seq = self.cseq
        if send:
            self.raw(True, seq, self.sseq, 0x18, data)
        self.cseq += len(data)
        return seq

    def server(self, data, send=True):
        seq = self.sseq
        if send:
            self.raw(False, seq, self.cseq, 0x18, data)
        self.sseq += len(data)
        return seq

    def close(self):
        self.raw(True, self.cseq, self.sseq, 0x11)
        self.raw(False, self.sseq, self.cseq + 1, 0x11)
        self.raw(True, self.cseq + 1, self.sseq + 1, 0x10)
