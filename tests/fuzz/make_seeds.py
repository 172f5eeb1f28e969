#!/usr/bin/python3
"""Writes the fuzz seed corpora from the golden cases (run once; the seeds are checked in)."""
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "golden", "sensor"))
import cases  # noqa: E402
import pcapgen  # noqa: E402

LINK_INDEX = {1: 0, 0: 1, 12: 2, 101: 3, 108: 4, 113: 5, 228: 6, 229: 7, 276: 8}


def save(folder, blob):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, hashlib.sha1(blob).hexdigest()[:16]), "wb") as f:
        f.write(blob)


def frame_seeds():
    for name in ("basic", "encapsulations", "link_sll", "link_sll2", "link_raw", "link_null"):
        linktype, build = cases.CASES[name]
        p = pcapgen.Pcap(linktype)
        build(p)
        for _, frame in p.records[:4] + p.records[-2:]:
            save(os.path.join(HERE, "corpus", "frame"), bytes([LINK_INDEX[linktype]]) + frame)


def smtp_seed(steps):
    out, seq = b"", {0: 0, 1: 0}
    for from_server, data in steps:
        for i in range(0, len(data), 255):
            part = data[i:i + 255]
            out += struct.pack("!BHB", from_server, seq[from_server] & 0xFFFF, len(part)) + part
            seq[from_server] += len(part)
    return out


def smtp_seeds():
    dialogs = [
        [(1, cases.GREETING), (0, b"EHLO pc\r\n"), (1, cases.EHLO_REPLY),
         (0, b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"), (1, b"250 ok\r\n250 ok\r\n354 go\r\n"),
         (0, cases.BODY), (1, b"250 queued\r\n"), (0, b"QUIT\r\n"), (1, b"221 bye\r\n")],
        [(1, b"220 mx\r\n"), (0, b"AUTH LOGIN\r\n"), (1, b"334 VXNlcm5hbWU6\r\n"), (0, b"dXNlcg==\r\n"),
         (1, b"235 ok\r\n"), (0, b"BDAT 5 LAST\r\nabcde"), (1, b"250 ok\r\n")],
        [(1, b"220 mx\r\n"), (0, b"STARTTLS\r\n"), (1, b"220 go\r\n"), (0, b"\x16\x03\x01\x00\x05hello")],
        [(1, b"220-a\r\n220 b\n"), (0, b"HELO " + b"x" * 600 + b"\n"), (1, b"501 no\n")],
    ]
    for d in dialogs:
        save(os.path.join(HERE, "corpus", "smtp"), smtp_seed(d))


def pipeline_seeds():
    for name in ("basic", "pipelining", "encapsulations", "retransmission", "auth_bdat", "link_sll2"):
        linktype, build = cases.CASES[name]
        p = pcapgen.Pcap(linktype)
        build(p)
        blob = b"".join(struct.pack("!BH", LINK_INDEX[linktype], len(f)) + f for _, f in p.records)
        save(os.path.join(HERE, "corpus", "sensor-pipeline"), blob)


if __name__ == "__main__":
    frame_seeds()
    smtp_seeds()
    pipeline_seeds()
