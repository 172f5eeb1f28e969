#!/usr/bin/python3
"""Checks the mailboxes smtp_sink.py filled after the full pipeline
(linksim -> sensor -> notifier ingest -> outbox) against linksim's ground
truth, with Python's own email parser (independent of botwarden's code).

Usage: check_mailboxes.py LABELS.json ACCOUNTS.csv MAILDIR INCIDENTS.json
Exit 0 when every notice (found by the incident code in its subject, since
two accounts may share an address) is for an infected (bot) account that is
not exempt, well-formed, in the account's language, sent to that account's
address; each account got exactly one; every notified incident's account got
its notice.
"""
import csv
import email
import email.policy
import json
import os
import re
import sys

SUBJECTS = {
    "en": "a device on your connection is sending spam",
    "de": "Ein Gerät an Ihrem Anschluss versendet Spam",
    "fr": "un appareil de votre connexion envoie du spam",
    "nl": "een apparaat op uw aansluiting verstuurt spam",
}
HEADERS = ["Date", "Message-ID", "From", "To", "Reply-To", "Subject", "Auto-Submitted",
           "Content-Language", "MIME-Version", "Content-Type"]


def crockford(text):
    value = 0
    for ch in text:
        value = value * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".index(ch)
    return value


def main():
    labels_path, accounts_path, maildir, incidents_path = sys.argv[1:5]
    labels = json.load(open(labels_path))
    role = {}
    for s in labels["subscribers"]:
        if s.get("account"):
            role[s["account"]] = s["role"]
    accounts = {row["account"]: row for row in csv.DictReader(open(accounts_path))}
    incidents = json.load(open(incidents_path))
    errors = []

    incident_by_id = {i["id"]: i for i in incidents}
    notices_per_account = {}
    mailboxes = sorted(d for d in os.listdir(maildir)) if os.path.isdir(maildir) else []
    delivered = 0
    for box in mailboxes:
        for name in sorted(f for f in os.listdir(os.path.join(maildir, box)) if f.endswith(".eml")):
            delivered += 1
            where = "%s/%s" % (box, name)
            raw = open(os.path.join(maildir, box, name), "rb").read()
            if b"\n" in raw.replace(b"\r\n", b""):
                errors.append("%s: bare LF in the message" % where)
            if any(len(line) > 998 for line in raw.split(b"\r\n")):
                errors.append("%s: line longer than 998" % where)
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            if list(msg.keys()) != HEADERS:
                errors.append("%s: headers %s" % (where, list(msg.keys())))
            # The incident code names the incident, hence the account (two
            # accounts may share an email address).
            match = re.search(r"\bBW-([0-9A-Z]{4,})-([0-9A-Z]{4})\b", str(msg["Subject"]))
            if not match:
                errors.append("%s: no incident code in the subject %r" % (where, str(msg["Subject"])))
                continue
            incident = incident_by_id.get(crockford(match.group(1)))
            if incident is None or not incident.get("account"):
                errors.append("%s: code %s names no attributed incident" % (where, match.group(0)))
                continue
            account = accounts[incident["account"]]
            notices_per_account[account["account"]] = notices_per_account.get(account["account"], 0) + 1
            if account["email"] != box:
                errors.append("%s: notice for %s went to %s" % (where, account["email"], box))
            if role.get(account["account"]) != "bot":
                errors.append("benign account %s (%s) got a notice" % (account["account"], role.get(account["account"])))
            if account["exempt"] == "true" or incident.get("exempt"):
                errors.append("exempt account %s got a notice" % account["account"])
            lang = account["language"] if account["language"] in SUBJECTS else "en"
            if msg["Content-Language"] != lang:
                errors.append("%s: language %s, account %s wants %s" % (where, msg["Content-Language"], account["account"], lang))
            if SUBJECTS[lang] not in str(msg["Subject"]):
                errors.append("%s: subject %r not in %s" % (where, str(msg["Subject"]), lang))
            if msg["To"].addresses[0].addr_spec != box:
                errors.append("%s: To is %s" % (where, msg["To"]))
            if msg.get_content_type() != "multipart/alternative":
                errors.append("%s: content type %s" % (where, msg.get_content_type()))
            text = msg.get_body(("plain",)).get_content()
            html = msg.get_body(("html",)).get_content()
            if "/cleanup/" not in text or "/cleanup/" not in html or match.group(0) not in text:
                errors.append("%s: no cleanup link or incident code in the body" % where)
            if incident["state"] == "detected":
                errors.append("%s: incident %s still 'detected' after its notice was sent" % (where, incident["id"]))
    for account, n in sorted(notices_per_account.items()):
        if n != 1:
            errors.append("account %s got %d notices, expected exactly 1" % (account, n))

    notified = [i for i in incidents if i.get("account") and not i.get("exempt") and i["state"] != "detected"]
    for i in notified:
        if i["account"] not in notices_per_account:
            errors.append("incident %s (%s) is %s but no notice arrived" % (i["id"], i["account"], i["state"]))
    bots = sorted(a for a, r in role.items() if r == "bot")
    print("bots %d, incidents %d (attributed %d), notices delivered %d, bots notified %d, benign notified %d"
          % (len(bots), len(incidents), len([i for i in incidents if i.get("account")]), delivered,
             len([a for a in notices_per_account if a in bots]),
             len([a for a in notices_per_account if a not in bots])))
    for e in errors:
        print("FAIL:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
