#!/usr/bin/python3
"""report_smtp.t - dmarcwarden-report's SMTP relay client and DKIM
signing, against a scripted SMTP server on 127.0.0.1.

  - EHLO / MAIL FROM / RCPT TO / DATA with dot-stuffing, QUIT; the
    message arrives whole and its DKIM signature (ReportSigningKey)
    verifies with python3-dkim and with the milter's own verifier
    (t/tools/dkimverify) through the test DNS
  - 550 at RCPT: failed for good, rows marked; 451: retried next run
  - a server that sends an endless line: temporary, bounded read
  - STARTTLS offered but the handshake fails: sent again without TLS
    (the TLS path itself is tested against Postfix in report_postfix.t)
  - failure reports (AFRF) from failure samples: multipart/report with
    message/feedback-report and text/rfc822-headers, hourly cap,
    external verification for ruf too
"""

import email
import email.policy
import os
import socket
import socketserver
import sqlite3
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "data", "report"))
import dkimtest  # noqa: E402
import harness  # noqa: E402
import history  # noqa: E402
import reptest  # noqa: E402
import tap  # noqa: E402

if not os.access(reptest.REPORTER, os.X_OK):
    tap.skip_all("reporter/dmarcwarden-report not built")

T0 = 1763856000
PERIOD = ["--begin", "2025-11-23", "--end", "2025-11-24"]
out = harness.outdir("report_smtp")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.mode = "ok"              # ok, rcpt550, rcpt451, flood
        self.messages = []            # (mailfrom, rcpt, data bytes)
        self.commands = []
        threading.Thread(target=self.serve_forever, daemon=True).start()


class Handler(socketserver.StreamRequestHandler):
    timeout = 10

    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self):
        srv = self.server
        if srv.mode == "flood":
            self.wfile.write(b"220-" + b"x" * 200000)
            return
        self.reply("220 test.local ESMTP")
        mailfrom = rcpt = None
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            cmd = line.decode("ascii", "replace").strip()
            srv.commands.append(cmd)
            verb = cmd.split(" ")[0].upper()
            if verb == "EHLO":
                self.reply("250-test.local")
                if srv.mode == "badtls":
                    self.reply("250-STARTTLS")
                self.reply("250 8BITMIME")
            elif verb == "STARTTLS" and srv.mode == "badtls":
                # Agree, then no TLS at all: the handshake fails.
                self.reply("220 go ahead")
                self.wfile.write(b"this is not TLS\r\n")
                return
            elif verb == "MAIL":
                mailfrom = cmd[10:].strip("<>")
                self.reply("250 ok")
            elif verb == "RCPT":
                rcpt = cmd[8:].strip("<>")
                if srv.mode == "rcpt550":
                    self.reply("550 5.1.1 no such user")
                elif srv.mode == "rcpt451":
                    self.reply("451 4.3.0 try later")
                else:
                    self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = b""
                while True:
                    l = self.rfile.readline(100000)
                    if l in (b".\r\n", b""):
                        break
                    if l.startswith(b".."):
                        l = l[1:]
                    data += l
                srv.messages.append((mailfrom, rcpt, data))
                self.reply("250 2.0.0 queued as TEST1")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 what")


srv = Server()
port = srv.server_address[1]
key = dkimtest.Key.rsa(2048)
keyfile = os.path.join(out, "report.key")
with open(keyfile, "wb") as fp:
    fp.write(key.private)

h = os.path.join(out, "history.db")
db = history.create(h)
history.add(db, time=T0 + 1)
history.add(db, time=T0 + 2, policy_domain="gone.example",
            header_from="gone.example", rua="mailto:nobody@gone.example")
db.commit()
db.close()
rt = reptest.Reporter(out, {
    "ReportSMTPRelay": "[127.0.0.1]:%d" % port,
    "ReportSigningKey": keyfile,
    "ReportSigningSelector": "rep",
    "ReportSigningDomain": "mx.test.local",
})

srv.mode = "rcpt451"
rc, so, se = rt.run("--db", h, *PERIOD)
tap.like(so, r"0 sent, 0 skipped, 0 failed, 2 to retry", "451: retry later")
tap.like(se, r"relay at RCPT TO: 451 4\.3\.0 try later", "reply logged")

srv.mode = "ok"
srv.messages.clear()
rc, so, se = rt.run("--db", h, *PERIOD)
tap.like(so, r"2 sent", "both reports sent through the relay")
tap.is_(len(srv.messages), 2, "server received two messages")
cmds = [c.split(" ")[0] for c in srv.commands]
tap.ok("EHLO" in cmds and "QUIT" in cmds, "EHLO ... QUIT dialogue")
msg = [m for m in srv.messages if m[1] == "dmarc@example.com"]
data = msg[0][2] if msg else b""
tap.is_(msg[0][0] if msg else None, "dmarc-reports@mx.test.local",
        "MAIL FROM is ReportSender")
try:
    info = reptest.parse_report_mail(data)
    good, err = reptest.xmllint(info["xml"])
    tap.ok(good, "relayed report intact and valid %s" % err)
except AssertionError as exc:
    tap.ok(False, "relayed report: %s" % exc)
tap.like(data.decode("ascii", "replace"), r"^DKIM-Signature: v=1; "
         r"a=rsa-sha256; c=relaxed/relaxed; d=mx.test.local;\s+s=rep;",
         "DKIM-Signature first, d= and s= as configured")
import dkim  # noqa: E402


def dnsfunc(name, timeout=5):
    if name in (b"rep._domainkey.mx.test.local.",
                b"rep._domainkey.mx.test.local"):
        return key.record().encode()
    return None


tap.ok(dkim.verify(data, dnsfunc=dnsfunc), "python3-dkim verifies the "
       "report's signature")
tampered = data.replace(b"Report Domain:", b"Report domain:", 1)
tap.ok(not dkim.verify(tampered, dnsfunc=dnsfunc),
       "and refuses it after a change to the Subject")
dns = harness.start_dns(key.zone_line("rep", "mx.test.local"))
tool = os.path.join(harness.ROOT, "t", "tools", "dkimverify")
if dns and os.access(tool, os.X_OK):
    p = subprocess.run([tool, "-n", "127.0.0.1@%d" % dns.port, "-"],
                       input=data, stdout=subprocess.PIPE)
    tap.like(p.stdout.decode(), r"^pass mx\.test\.local rep",
             "the milter's libopendkim verifier agrees")
else:
    tap.skip("test DNS or t/tools/dkimverify unavailable")



def add_domain(t, dom):
    """One more message row whose policy domain reports to x@dom."""
    db = sqlite3.connect(h)
    history.add(db, time=t, policy_domain=dom, header_from=dom,
                rua="mailto:x@%s" % dom)
    db.commit()
    db.close()


# 5xx: failed for good.
add_domain(T0 + 3, "perm.example")
srv.mode = "rcpt550"
rc, so, se = rt.run("--db", h, *PERIOD)
tap.like(so, r"1 failed, 0 to retry", "550: failed at once")
tap.like(se, r"failed for good after 1 attempt: relay at RCPT TO: 550 "
         r"5\.1\.1 no such user", "permanent failure logged")

# A relay that floods: the read is bounded.
add_domain(T0 + 4, "slow.example")
for mode in ("flood",):
    srv.mode = mode
    rc, so, se = rt.run("--db", h, *PERIOD, timeout=30)
    tap.like(so, r"1 to retry", "%s relay: temporary failure" % mode)
    tap.like(se, r"no valid reply to greeting", "%s: bounded read" % mode)

# STARTTLS offered but the handshake fails: once more without TLS.
add_domain(T0 + 5, "tls.example")
srv.mode = "badtls"
srv.commands.clear()
srv.messages.clear()
rc, so, se = rt.run("--db", h, *PERIOD)
# (slow.example, left pending by the flood, goes out as well.)
tap.like(so, r"2 sent", "handshake failure: sent on a new connection")
tap.is_([c.split(" ")[0] for c in srv.commands].count("STARTTLS"), 2,
        "STARTTLS tried once a message (the relay offered it)")
tap.is_([m[1] for m in srv.messages].count("x@tls.example"), 1,
        "message received in clear")
tap.like(sqlite3.connect(h).execute(
    "SELECT detail FROM report_dest WHERE uri = 'mailto:x@tls.example'"
    ).fetchone()[0], r"^relay: 250 .*\(without TLS: relay: TLS handshake "
    r"failed", "report_dest says it went without TLS, and why")

# ---- failure reports -------------------------------------------------------
fdir = os.path.join(out, "failure")
os.makedirs(fdir, exist_ok=True)
hf = os.path.join(fdir, "history.db")
db = history.create(hf)
HDRS = ("From: <ceo@bank.example>\r\nSubject: urgent\r\n"
        "Message-ID: <x1@spoof.example>\r\n")
for i in range(3):           # the same second: distinct reports all the same
    mid = history.add(db, time=T0 + 10, policy_domain="bank.example",
                      header_from="bank.example", result="fail")
    db.execute("INSERT INTO failure_samples (message_id, time, "
               "policy_domain, header_from, source_ip, mail_from, ruf, "
               "auth_failure, headers) VALUES (?,?,?,?,?,?,?,?,?)",
               (mid, T0 + 10, "bank.example", "bank.example",
                "203.0.113.5", "x@spoof.example",
                "mailto:ruf@bank.example,mailto:ruf@third.example",
                "dmarc", HDRS))
db.commit()
db.close()
rf = reptest.Reporter(fdir, {"FailureReports": "yes",
                             "FailureReportHourlyCap": "2",
                             "ReportSMTPRelay": "[127.0.0.1]:%d" % port,
                             "Nameservers": "127.0.0.1@%d" % dns.port
                             if dns else '""', "DNSTimeout": "2"})
srv.mode = "ok"
srv.messages.clear()
rc, so, se = rf.run("--db", hf, *PERIOD)
tap.like(so, r"failure reports 2 sent 3 skipped 1 deferred",
         "failure reports: cap 2 an hour, external ruf skipped")
fr = [m for m in srv.messages if m[1] == "ruf@bank.example"]
tap.is_(len(fr), 2, "two failure reports to ruf@bank.example")
m = email.message_from_bytes(fr[0][2] if fr else b"",
                             policy=email.policy.default)
tap.is_(m.get_content_type(), "multipart/report", "multipart/report")
tap.is_(m.get_param("report-type"), "feedback-report", "report-type")
parts = [p.get_content_type() for p in m.iter_parts()] if fr else []
tap.is_(parts, ["text/plain", "message/feedback-report",
                "text/rfc822-headers"], "AFRF parts (RFC 6591)")
raw = fr[0][2].decode("ascii", "replace") if fr else ""
tap.like(raw, r"Feedback-Type: auth-failure\r\nVersion: 1\r\n",
         "feedback-report fields")
tap.like(raw, r"Auth-Failure: dmarc\r\n", "Auth-Failure")
tap.like(raw, r"Source-IP: 203\.0\.113\.5\r\n", "Source-IP")
tap.like(raw, r"Subject: urgent\r\n", "the sample's header included")
tap.like(se, r"ruf@third.example skipped: external destination "
         r"third.example has not authorized", "ruf verified like rua")
tap.is_(sorted(r[0] for r in sqlite3.connect(hf).execute(
    "SELECT reported IS NULL FROM failure_samples")), [0, 0, 1],
    "two samples handled, one waits for the next hour")
rc, so, se = rf.run("--db", hf, *PERIOD)
tap.like(so, r"failure reports 0 sent 0 skipped 1 deferred",
         "next run in the same hour: still capped")
tap.is_(len([m for m in srv.messages if m[1] == "ruf@bank.example"]), 2,
        "nothing sent twice")

# ---- failure reports: DKIM fields, psd=y, a fleet, ids after expiry -------
gdir = os.path.join(out, "failure2")
os.makedirs(gdir, exist_ok=True)
gA, gB = os.path.join(gdir, "a.db"), os.path.join(gdir, "b.db")
for path in (gA, gB):
    if os.path.exists(path):
        os.unlink(path)


def add_sample(path, t, **cols):
    db = history.create(path) if not os.path.exists(path) else \
        sqlite3.connect(path)
    mid = history.add(db, time=t, policy_domain="bank.example",
                      header_from="bank.example", result="fail",
                      dkim_aligned=0, spf_aligned=0, **cols)
    cur = db.execute("INSERT INTO failure_samples (message_id, time, "
                     "policy_domain, header_from, source_ip, mail_from, ruf,"
                     " auth_failure, headers) VALUES (?,?,?,?,?,?,?,?,?)",
                     (mid, t, "bank.example", "bank.example", "203.0.113.7",
                      "x@spoof.example", "mailto:ruf@bank.example", "dmarc",
                      HDRS))
    db.commit()
    db.close()
    return cur.lastrowid


sa = add_sample(gA, T0 + 10, dkim=(("esp.example", "s1", "fail", 0, ""),
                                    ("bank.example", "sel9", "fail", 1,
                                     "bad")))
sb = add_sample(gB, T0 + 10, dkim=())
add_sample(gB, T0 + 11, policy_psd="y")
tap.is_((sa, sb), (1, 1), "sample id 1 in both databases")
if dns:
    dns.set_zone(key.zone_line("rep", "mx.test.local") + "\n" +
                 'example.com TXT "v=spf1 -all"')
rg = reptest.Reporter(gdir, {"FailureReports": "yes",
                             "ReportSMTPRelay": "[127.0.0.1]:%d" % port,
                             "Nameservers": "127.0.0.1@%d" % dns.port
                             if dns else '""', "DNSTimeout": "2"})
srv.messages.clear()
rc, so, se = rg.run("--db", gA, "--db", gB, *PERIOD)
tap.like(so, r"failure reports 2 sent 1 skipped 0 deferred", "a fleet run: "
         "the samples of both databases, the psd=y one skipped")
msgs = [email.message_from_bytes(m[2], policy=email.policy.default)
        for m in srv.messages if m[1] == "ruf@bank.example"]
ids = [str(m["Message-ID"]) for m in msgs]
tap.is_(len(set(ids)), 2, "same sample id and time in two databases: two "
        "Message-IDs %r" % ids)
raws = [m[2].decode("ascii", "replace") for m in srv.messages
        if m[1] == "ruf@bank.example"]
signed = [r for r in raws if "sel9" in r]
tap.is_(len(signed), 1, "one signed sample")
sr = signed[0] if signed else ""
tap.like(sr, r"\r\nDKIM-Domain: bank.example\r\nDKIM-Identity: "
         r"@bank.example\r\nDKIM-Selector: sel9\r\n", "DKIM-Domain, "
         "-Identity, -Selector of the author domain's signature")
tap.like(sr, r"dkim=fail header.d=esp.example header.s=s1;\r\n\t"
         r"dkim=fail header.d=bank.example header.s=sel9\r\n",
         "every signature in Authentication-Results")
if dns:
    tap.like(sr, r'\r\nSPF-DNS: txt : example.com : "v=spf1 -all"\r\n',
             "SPF-DNS: the SPF domain's record")
else:
    tap.skip("no test DNS")
tap.is_(sqlite3.connect(gB).execute(
    "SELECT reported, detail FROM failure_samples WHERE id = 2").fetchone(),
    (0, "psd=y policy: RFC 9991 sends no failure reports"),
    "psd=y: never reported, marked with the reason")
first = [str(m["Message-ID"]) for m in msgs
         if "sel9" in m.as_string()]
# Expiry removes the rows (and the report bookkeeping); the next sample of
# that database gets id 1 again.
db = sqlite3.connect(gA)
db.execute("PRAGMA foreign_keys = ON")
db.execute("DELETE FROM messages")
db.execute("DELETE FROM report_log")
db.commit()
db.close()
again = add_sample(gA, T0 + 500, dkim=(("bank.example", "sel9", "fail", 1,
                                        ""),))
tap.is_(again, 1, "after expiry the sample id is reused")
srv.messages.clear()
rc, so, se = rg.run("--db", gA, "--db", gB, *PERIOD)
tap.like(so, r"failure reports 1 sent", "the new sample is reported")
new = [str(email.message_from_bytes(m[2], policy=email.policy.default)
           ["Message-ID"]) for m in srv.messages]
tap.ok(len(new) == 1 and first and new[0] not in first + ids,
       "with a new Message-ID (%r, before %r)" % (new, first))

srv.shutdown()
tap.done_testing()
