#!/usr/bin/python3
"""milter.t - the real dmarcwarden daemon driven over the milter protocol,
with DNS answered by the test DNS server on loopback.

Covers: aligned SPF pass, aligned DKIM pass, relaxed vs strict alignment,
sp= on an existing subdomain, np= on a non-existent one, p=reject failure
rejected, p=quarantine quarantined, pct sampling, t=y, multiple From, no
From, DNS timeout and SERVFAIL, forged Authentication-Results removed,
history rows written with the right fields, Enforcement off."""

import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import dkimtest  # noqa: E402
import harness  # noqa: E402
import milterclient  # noqa: E402
import tap  # noqa: E402

GOOD_IP = "192.0.2.10"
BAD_IP = "198.51.100.66"
RCPT = ["bob@mx.test.local"]

harness.require_daemon()
key = dkimtest.Key.rsa(2048)

ZONE = "\n".join([
    'example.com TXT "v=spf1 ip4:%s -all"' % GOOD_IP,
    'example.com A %s' % GOOD_IP,
    'bounce.example.com TXT "v=spf1 ip4:%s -all"' % GOOD_IP,
    '_dmarc.example.com TXT "v=DMARC1; p=reject; sp=quarantine; np=reject; '
    'rua=mailto:dmarc@example.com"',
    'sub.example.com A %s' % GOOD_IP,
    key.zone_line("sel", "example.com"),
    'strict.example TXT "v=spf1 ip4:%s -all"' % GOOD_IP,
    'bounce.strict.example TXT "v=spf1 ip4:%s -all"' % GOOD_IP,
    '_dmarc.strict.example TXT "v=DMARC1; p=reject; aspf=s; adkim=s"',
    key.zone_line("sel", "mail.strict.example"),
    'quarantine.example TXT "v=spf1 ip4:%s -all"' % GOOD_IP,
    '_dmarc.quarantine.example TXT "v=DMARC1; p=quarantine"',
    '_dmarc.pct0.example TXT "v=DMARC1; p=reject; pct=0"',
    '_dmarc.testing.example TXT "v=DMARC1; p=reject; t=y"',
    '_dmarc.nopolicy.example TXT "v=spf1 -all"',
    '_dmarc.timeout.example TIMEOUT',
    '_dmarc.servfail.example SERVFAIL',
    '_dmarc.other.example TXT "v=DMARC1; p=none"',
])

dns = harness.start_dns(ZONE)
if dns is None:
    tap.skip_all("test DNS server unavailable: %s" % harness.last_dns_error)
out = harness.outdir("milter")
HISTORY = os.path.join(out, "history.db")
daemon = harness.Daemon(out, {
    "AuthservID": "mx.test.local",
    "HistoryDB": HISTORY,
    "DNSTimeout": 1,
    "IgnoreNetworks": "\"\"",
    "Syslog": "no",
}, dns=dns)
daemon.start()


def send(frm, mailfrom, ip=GOOD_IP, body="Hello.\n", sign_domain=None,
         sign_selector="sel", extra_headers=(), raw=None, helo="mail.example"):
    msg = raw if raw is not None else dkimtest.message(
        frm=frm, to=RCPT[0], body=body, extra_headers=extra_headers)
    if sign_domain:
        msg = dkimtest.sign(msg, key, sign_selector, sign_domain)
    return milterclient.send_message(daemon.socket_spec, ip, helo, mailfrom,
                                     RCPT, msg)


def authres(r):
    vals = [v for (_i, n, v) in r.headers_inserted
            if n.lower() == "authentication-results"]
    return vals[0] if vals else ""


def check(name, r, action, dmarc, extra=()):
    ar = authres(r)
    tap.is_(r.action, action, "%s: action" % name)
    tap.like(ar, r"dmarc=%s\b" % dmarc, "%s: dmarc=%s" % (name, dmarc))
    for pattern in extra:
        tap.like(ar, pattern, "%s: %s" % (name, pattern))
    return ar


r = send("alice@example.com", "alice@example.com")
check("aligned SPF pass", r, "accept", "pass",
      [r"^ mx\.test\.local;",
       # libspf2's text without its "RECEIVER: " prefix
       r"spf=pass \(domain of \S+ designates \S+ as permitted "
       r"sender\) smtp\.mailfrom=example\.com",
       r"header\.from=example\.com", r"dkim=none"])

r = send("alice@example.com", "alice@forwarder.example", ip=BAD_IP,
         sign_domain="example.com")
check("aligned DKIM pass (forwarded, SPF none)", r, "accept", "pass",
      [r"dkim=pass header\.d=example\.com header\.s=sel"])

r = send("alice@example.com", "bounce@bounce.example.com")
check("relaxed SPF alignment", r, "accept", "pass")

r = send("alice@strict.example", "bounce@bounce.strict.example")
check("strict SPF alignment fails", r, "reject", "fail")
tap.like(r.reply or "", r"^550 5\.7\.1 .*strict\.example",
         "reject reply names the domain")

r = send("alice@strict.example", "x@nowhere.example", ip=BAD_IP,
         sign_domain="mail.strict.example")
check("strict DKIM alignment fails", r, "reject", "fail")

r = send("alice@example.com", "spoof@example.com", ip=BAD_IP)
check("p=reject failure rejected", r, "reject", "fail",
      [r"spf=fail", r"policy\.dmarc=reject"])

r = send("alice@quarantine.example", "x@quarantine.example", ip=BAD_IP)
check("p=quarantine quarantined", r, "accept", "fail",
      [r"policy\.dmarc=quarantine"])
tap.ok(r.quarantine is not None and "quarantine.example" in r.quarantine,
       "quarantine action sent to the MTA")

r = send("alice@sub.example.com", "x@sub.example.com", ip=BAD_IP)
check("sp= on existing subdomain", r, "accept", "fail",
      [r"policy\.dmarc=quarantine"])
tap.ok(r.quarantine is not None, "sp=quarantine held")

r = send("alice@nx.example.com", "x@nx.example.com", ip=BAD_IP)
check("np= on non-existent subdomain", r, "reject", "fail",
      [r"policy\.dmarc=reject"])

r = send("alice@pct0.example", "x@pct0.example", ip=BAD_IP)
check("pct=0 samples out reject", r, "accept", "fail",
      [r"policy\.override-reason=sampled_out",
       r"policy\.applied-disposition=quarantine"])

r = send("alice@testing.example", "x@testing.example", ip=BAD_IP)
check("t=y applies one step weaker", r, "accept", "fail",
      [r"policy\.override-reason=policy_test_mode"])

r = send("alice@nopolicy.example", "x@nopolicy.example", ip=BAD_IP)
check("no DMARC record", r, "accept", "none")

t0 = time.time()
r = send("alice@timeout.example", "x@timeout.example", ip=BAD_IP)
check("DNS timeout is temperror", r, "accept", "temperror")
tap.ok(time.time() - t0 < 8, "timeout bounded by DNSTimeout")

r = send("alice@servfail.example", "x@servfail.example", ip=BAD_IP)
check("SERVFAIL is temperror", r, "accept", "temperror")

raw = (b"From: alice@example.com\r\nFrom: mallory@other.example\r\n"
       b"To: bob@mx.test.local\r\nSubject: two\r\n\r\nbody\r\n")
r = send(None, "alice@example.com", raw=raw)
tap.is_(r.action, "reject", "multiple From headers rejected")
tap.like(r.reply or "", r"^550 5\.7\.1", "multiple From: 550 5.7.1")

raw = b"To: bob@mx.test.local\r\nSubject: none\r\n\r\nbody\r\n"
r = send(None, "alice@example.com", raw=raw)
tap.is_(r.action, "reject", "no From rejected")
tap.like(r.reply or "", r"^550 5\.7\.1 .*From", "no From: clear text")

raw = (b"From: <@@>\r\nTo: bob@mx.test.local\r\n\r\nbody\r\n")
r = send(None, "alice@example.com", raw=raw)
tap.is_(r.action, "reject", "unparseable From rejected")

r = send("alice@example.com", "alice@example.com", extra_headers=[
    "Authentication-Results: mx.test.local; dmarc=pass header.from=x",
    "Authentication-Results: other.example; spf=pass",
    "Authentication-Results: (c) MX.TEST.LOCAL 1; dkim=pass"])
deleted = sorted(i for (i, n, v) in r.headers_changed
                 if n.lower() == "authentication-results" and v == "")
tap.is_(deleted, [1, 3], "forged Authentication-Results (ours) removed, "
        "others kept")

# History: rows are written by a background thread; wait for them.
daemon.stop()
db = sqlite3.connect(HISTORY)
db.row_factory = sqlite3.Row
rows = db.execute("SELECT * FROM messages ORDER BY id").fetchall()
tap.ok(len(rows) >= 15, "history rows written (%d)" % len(rows))
row = db.execute("SELECT * FROM messages WHERE header_from = 'example.com' "
                 "AND source_ip = ? ORDER BY id LIMIT 1",
                 (BAD_IP,)).fetchone()
tap.ok(row is not None, "history row for the forwarded message")
if row is not None:
    tap.is_(row["result"], "pass", "history: dmarc result")
    tap.is_(row["policy_domain"], "example.com", "history: policy domain")
    tap.is_(row["policy_p"], "reject", "history: published p")
    tap.is_(row["discovery"], "treewalk", "history: discovery")
    tap.is_(row["envelope_from"], "forwarder.example", "history: mail from")
    dk = db.execute("SELECT * FROM message_dkim WHERE message_id = ?",
                    (row["id"],)).fetchall()
    tap.is_([(d["domain"], d["selector"], d["result"], d["aligned"])
             for d in dk], [("example.com", "sel", "pass", 1)],
            "history: DKIM signature row")
row = db.execute("SELECT * FROM messages WHERE header_from = "
                 "'pct0.example'").fetchone()
if tap.ok(row is not None, "history row for the sampled-out message"):
    tap.is_((row["disposition_requested"], row["disposition_applied"]),
            ("reject", "quarantine"), "history: requested vs applied")
    ov = db.execute("SELECT reason FROM message_override WHERE "
                    "message_id = ?", (row["id"],)).fetchall()
    tap.is_([o["reason"] for o in ov], ["sampled_out"],
            "history: override reason")

# Enforcement off: nothing rejected, but headers and history tell.
out2 = harness.outdir("milter-enforcement-off")
daemon = harness.Daemon(out2, {
    "AuthservID": "mx.test.local", "HistoryDB": "\"\"", "IgnoreNetworks": "\"\"",
    "Enforcement": "off", "Syslog": "no"}, dns=dns)
daemon.start()
r = send("alice@example.com", "spoof@example.com", ip=BAD_IP)
check("Enforcement off", r, "accept", "fail",
      [r"policy\.applied-disposition=none",
       r"policy\.evaluated-disposition=reject",
       r"policy\.override-reason=local_policy"])
daemon.stop()
tap.like(daemon.stderr_text(), r"dmarc=fail .*applied=none "
         r"override=local_policy action=accept",
         "log line tells what would have happened")
tap.done_testing()
