#!/usr/bin/python3
"""report_milter.t - what the milter records for the reporter (history
schema version 2), through the real daemon:

  - policy_rua / policy_ruf / envelope_to / dkim_summary as documented
  - a message that is itself a DMARC report (Subject "Report Domain:",
    or a feedback report) is flagged is_report and not counted by
    dmarcwarden-report
  - FailureReports yes: a failure sample for a domain with ruf= when fo=
    asks (fo=1: any mechanism unaligned; fo=d: a DKIM signature that
    failed), headers outside FailureReportHeaders left out; none for a
    domain without ruf; the reporter then sends it as an AFRF report
"""

import os
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "data", "report"))
import harness  # noqa: E402
import milterclient  # noqa: E402
import reptest  # noqa: E402
import tap  # noqa: E402

harness.require_daemon()
ZONE = "\n".join([
    'example.com TXT "v=spf1 ip4:192.0.2.1 -all"',
    '_dmarc.example.com TXT "v=DMARC1; p=none; '
    'rua=mailto:a@example.com!10m,mailto:b@example.com; '
    'ruf=mailto:f@example.com; fo=1"',
    'bank.example TXT "v=spf1 ip4:192.0.2.1 -all"',
    '_dmarc.bank.example TXT "v=DMARC1; p=reject; ruf=mailto:f@bank.example;'
    ' fo=d"',
    'plain.example TXT "v=spf1 ip4:192.0.2.1 -all"',
    '_dmarc.plain.example TXT "v=DMARC1; p=none"',
])
dns = harness.start_dns(ZONE)
if dns is None:
    tap.skip_all("test DNS server unavailable: %s" % harness.last_dns_error)
out = harness.outdir("report_milter")
hist = os.path.join(out, "history.db")
daemon = harness.Daemon(out, {
    "AuthservID": "mx.test.local", "HistoryDB": hist,
    "IgnoreNetworks": '""', "Syslog": "no", "Enforcement": "off",
    "FailureReports": "yes", "FailureReportHeaders": "From Subject Date",
}, dns=dns)
daemon.start()


def send(frm, subject, ip="203.0.113.9", extra=""):
    msg = ("From: <%s>\r\nTo: <bob@test.local>\r\nSubject: %s\r\n"
           "Date: Sun, 23 Nov 2025 10:00:00 +0000\r\n%s\r\nhello\r\n" % (
               frm, subject, extra)).encode()
    return milterclient.send_message(daemon.socket_spec, ip, "mx.sender.example",
                                     "<%s>" % frm, ["<bob@test.local>"], msg)


send("alice@example.com", "spoofed")                       # SPF fails: fo=1
send("alice@example.com", "legit", ip="192.0.2.1")         # no DKIM: fo=1
send("alice@example.com",
     "Report Domain: test.local Submitter: example.com Report-ID: <1>",
     ip="192.0.2.1")
send("alice@example.com", "fbl", ip="192.0.2.1",
     extra="Content-Type: multipart/report; "
           "report-type=feedback-report; boundary=x\r\n")
send("ceo@bank.example", "no dkim at all")                  # fo=d: no sample
send("x@plain.example", "no ruf")
daemon.stop()

db = sqlite3.connect(hist)
rows = db.execute("SELECT header_from, policy_rua, policy_ruf, envelope_to,"
                  " is_report FROM messages ORDER BY id").fetchall()
tap.is_(len(rows), 6, "six messages recorded")
tap.is_(rows[0][1:4], ("mailto:a@example.com!10485760,mailto:b@example.com",
                       "mailto:f@example.com", "test.local"),
        "policy_rua with the size in bytes, policy_ruf, envelope_to")
tap.is_([r[4] for r in rows], [0, 0, 1, 1, 0, 0],
        "Subject 'Report Domain:' and feedback reports flagged is_report")
tap.is_(db.execute("SELECT dkim_summary, override_summary FROM messages "
                   "WHERE id = 1").fetchone(), ("", ""),
        "no signature, no override: empty summaries")
s = db.execute("SELECT header_from, policy_domain, source_ip, mail_from, "
               "ruf, auth_failure, headers FROM failure_samples ORDER BY id"
               ).fetchall()
tap.is_(len(s), 2, "two failure samples: fo=1 on SPF failure and on DMARC "
        "pass without DKIM; none for reports, for fo=d without a failed "
        "signature, or without ruf")
if s:
    tap.is_(s[0][:6], ("example.com", "example.com", "203.0.113.9",
                       "alice@example.com", "mailto:f@example.com", "dmarc"),
            "sample columns")
    tap.like(s[0][6], r"^From: <alice@example.com>\r\nSubject: spoofed\r\n"
             r"Date: Sun, 23 Nov 2025 10:00:00 \+0000\r\n$",
             "only FailureReportHeaders fields kept, CRLF")
    tap.unlike(s[0][6], r"To:", "To: left out")
db.close()

# The reporter: report rows are not counted; the sample goes out as AFRF.
rt = reptest.Reporter(out, {"FailureReports": "yes",
                            "Nameservers": "127.0.0.1@%d" % dns.port})
import time  # noqa: E402
now = int(time.time())
rc, so, se = rt.run("--db", hist, "--begin", str(now - 3600), "--end",
                    str(now + 60))
tap.like(so, r"failure reports 2 sent 0 skipped 0 deferred",
         "reporter sends the failure report")
agg = {}
fb = []
for argv, raw in rt.sent():
    if b"report-type=feedback-report" in raw[:2000]:
        tap.is_(argv[-1], "f@example.com", "failure report to ruf")
        fb.append(raw)
        continue
    i = reptest.parse_report_mail(raw)
    agg.setdefault(i["domain"], []).append((argv[-1], i))
ex = agg.get("example.com", [])
tap.is_(sorted(a for a, i in ex), ["a@example.com", "b@example.com"],
        "aggregate report to both rua addresses")
if ex:
    c = reptest.et_counts(ex[0][1]["xml"])
    tap.is_(c["total"], 2, "the two report messages are not counted")


def feedback_fields(raw):
    """The message/feedback-report part as (name, unfolded value) pairs,
    read with Python's email package."""
    import email
    import email.policy
    m = email.message_from_bytes(raw, policy=email.policy.compat32)
    for part in m.walk():
        if part.get_content_type() == "message/feedback-report":
            body = part.get_payload()
            if isinstance(body, list):      # parsed as headers already
                return [(k, " ".join(v.split())) for k, v in
                        body[0].items()]
            fields = email.message_from_string(body)
            return [(k, " ".join(v.split())) for k, v in fields.items()]
    return []


# RFC 6591 / RFC 9991 fields of the two reports, from what the milter saw:
# 203.0.113.9 fails SPF (no DKIM): DMARC fail; 192.0.2.1 passes SPF,
# aligned, no DKIM (fo=1 samples it): DMARC pass.
by_ip = {}
for raw in fb:
    f = feedback_fields(raw)
    by_ip[dict(f).get("Source-IP")] = f
spoof = by_ip.get("203.0.113.9", [])
names = [k for k, v in spoof]
for n in ("Feedback-Type", "Version", "User-Agent", "Auth-Failure",
          "Authentication-Results", "Identity-Alignment", "SPF-DNS"):
    tap.is_(names.count(n), 1, "%s exactly once" % n)
d = dict(spoof)
tap.is_(d.get("Authentication-Results"), "mx.test.local; dmarc=fail "
        "header.from=example.com; spf=fail smtp.mailfrom=example.com; "
        "dkim=none", "Authentication-Results (RFC 6591 required)")
tap.is_(d.get("Identity-Alignment"), "none", "Identity-Alignment none")
tap.is_(d.get("SPF-DNS"), 'txt : example.com : "v=spf1 ip4:192.0.2.1 -all"',
        "SPF-DNS: the domain's SPF record, quoted")
tap.like(d.get("User-Agent", ""), r"^dmarcwarden-report/\d+\.\d+",
         "User-Agent with version")
tap.ok("DKIM-Domain" not in d, "no DKIM-* fields for an unsigned message")
d = dict(by_ip.get("192.0.2.1", []))
tap.is_(d.get("Identity-Alignment"), "spf", "Identity-Alignment spf")
tap.like(d.get("Authentication-Results", ""), r"dmarc=pass header.from="
         r"example.com; spf=pass", "DMARC pass sampled by fo=1 said so")
tap.done_testing()
