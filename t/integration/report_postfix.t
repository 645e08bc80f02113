#!/usr/bin/python3
"""report_postfix.t - the whole path: mail through a private Postfix and
the real dmarcwarden daemon fills the history; dmarcwarden-report turns it
into a report and hands it to Postfix's sendmail (MAIL_CONFIG selects the
private instance), which delivers it to a local mailbox file.

  1. a run with a failing sendmail (exit 75): nothing sent, rows stay
  2. a run with Postfix's sendmail: the report arrives; MIME, Subject,
     attachment name, gunzip, XML valid (xmllint --schema), counts match
     the messages sent; rows marked
  3. a third run sends nothing
  4. STARTTLS: the same Postfix with a self-signed certificate
     (smtpd_tls_security_level may) as ReportSMTPRelay: the report goes
     over TLS (Postfix logs the TLS connection and writes ESMTPS in its
     Received line; report_dest says "relay (TLS)")
  External destination verification both ways: example.com authorized
  the test.local mailbox (TXT at example.com._report._dmarc.test.local),
  shop.example did not, so its report is skipped.

Skips only when not root or Postfix cannot be started."""

import glob
import os
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "data", "report"))
import dkimtest  # noqa: E402
import harness  # noqa: E402
import reptest  # noqa: E402
import tap  # noqa: E402
from postfix import PrivatePostfix, PostfixUnavailable  # noqa: E402

harness.require_daemon()
if os.geteuid() != 0:
    tap.skip_all("not root: cannot start a private Postfix instance")
if not os.access(reptest.REPORTER, os.X_OK):
    tap.skip_all("reporter/dmarcwarden-report not built")

ZONE = "\n".join([
    'example.com TXT "v=spf1 ip4:127.0.0.1 -all"',
    '_dmarc.example.com TXT "v=DMARC1; p=none; '
    'rua=mailto:rua-example@test.local"',
    'example.com._report._dmarc.test.local TXT "v=DMARC1"',
    'shop.example TXT "v=spf1 ip4:192.0.2.1 -all"',
    '_dmarc.shop.example TXT "v=DMARC1; p=quarantine; '
    'rua=mailto:rua-shop@test.local"',
])
dns = harness.start_dns(ZONE)
if dns is None:
    tap.skip_all("test DNS server unavailable: %s" % harness.last_dns_error)
out = harness.outdir("report_postfix")
hist = os.path.join(out, "history.db")
daemon = harness.Daemon(out, {
    "AuthservID": "mx.test.local", "HistoryDB": hist,
    "IgnoreNetworks": '""', "UMask": "000", "Syslog": "no",
}, dns=dns)
daemon.start()
try:
    pf = PrivatePostfix(domains=["test.local"],
                        milters="unix:" + daemon.socket_path).start()
except PostfixUnavailable as exc:
    tap.skip_all("cannot start Postfix: %s" % exc)

# The test instance has no pickup service (it only receives by SMTP);
# sendmail(1) submissions need one.
with open(os.path.join(pf.config_dir, "master.cf"), "a") as fp:
    fp.write("pickup    unix  n       -       n       60      1       "
             "pickup\n")
# A SIGHUP before the master has set up its handlers kills it: wait for
# its "daemon started" line first.
pf.wait_log(r"daemon started")
pf.reload()

RCPT = ["bob@test.local"]
for i in range(3):
    msg = dkimtest.message(frm="alice@example.com", to=RCPT[0],
                           subject="hello %d" % i)
    code, text = pf.smtp_send("alice@example.com", RCPT, msg)
    tap.is_(code, 250, "message %d accepted (%s)" % (i, text))
code, text = pf.smtp_send("offers@shop.example", RCPT, dkimtest.message(
    frm="offers@shop.example", to=RCPT[0], subject="spoof"))
tap.is_(code, 250, "p=quarantine spoof accepted (held)")
daemon.stop()         # flushes the history
tap.is_(sqlite3.connect(hist).execute(
    "SELECT policy_domain, count(*) FROM messages GROUP BY 1 ORDER BY 1"
    ).fetchall(), [("example.com", 3), ("shop.example", 1)],
    "the daemon recorded the messages")

now = int(time.time())
period = ["--db", hist, "--begin", str(now - now % 86400),
          "--end", str(now - now % 86400 + 86400)]
rt = reptest.Reporter(out, {"Nameservers": "127.0.0.1@%d" % dns.port,
                            "DNSTimeout": "2",
                            "ReportSender": "dmarc-noreply@test.local"})
env = dict(os.environ, MAIL_CONFIG=pf.config_dir)

# 1. sendmail fails.
rt.sendmail_exit(75)
rc, so, se = rt.run(*period, env=env)
tap.like(so, r"0 sent, 1 skipped \(external not authorized 1\), 0 failed, "
         r"1 to retry", "failing sendmail: retry; shop.example skipped")
tap.is_(sqlite3.connect(hist).execute(
    "SELECT count(*) FROM messages WHERE reported IS NULL").fetchone()[0],
    3, "example.com rows not marked")

# 2. Postfix's sendmail.
rc, so, se = rt.run(*period, "--sendmail", "/usr/sbin/sendmail", env=env)
tap.is_(rc, 0, "run with Postfix's sendmail exits 0 (%s)" % se[-300:])
tap.like(so, r"1 domains, 1 reports, 1 sent", "report sent")
paths = []
deadline = time.time() + 30
while time.time() < deadline and not paths:
    paths = glob.glob(os.path.join(pf.mail_dir, "*.rua-example@test.local"))
    time.sleep(0.2)
tap.is_(len(paths), 1, "delivered into the rua mailbox")
raw = open(paths[0], "rb").read() if paths else b""
try:
    info = reptest.parse_report_mail(raw)
    tap.ok(True, "MIME structure, Subject and attachment name")
except AssertionError as exc:
    info = None
    tap.ok(False, "delivered report: %s" % exc)
if info:
    tap.is_((info["domain"], info["submitter"]), ("example.com",
            "test.local"), "Subject: Report Domain and Submitter")
    tap.like(raw.decode("ascii", "replace"), r"(?m)^Received: .*by "
             r"mx\.test\.local \(Postfix", "went through Postfix")
    good, err = reptest.xmllint(info["xml"])
    tap.ok(good, "xmllint --schema validates the delivered report %s" % err)
    c = reptest.et_counts(info["xml"])
    tap.is_((c["total"], c["by_ip"]), (3, {"127.0.0.1": 3}),
            "3 messages from 127.0.0.1, one record")
    root, ns = c["root"], c["ns"]
    tap.is_(root.find("d:record/d:identifiers/d:envelope_to", ns).text,
            "test.local", "envelope_to")
    tap.is_(root.find("d:policy_published/d:p", ns).text, "none",
            "policy as published")
    md = reptest.mail_dmarc(info["xml"])
    if md is None:
        tap.skip("Mail::DMARC not installed")
    else:
        tap.like(md, r"domain=example.com records=1 count=3",
                 "Mail::DMARC reads the delivered report")
else:
    tap.skip("no report", 7)
tap.is_(sqlite3.connect(hist).execute(
    "SELECT count(*) FROM messages WHERE reported IS NULL").fetchone()[0],
    0, "all rows marked")

# 3. Nothing twice.
rc, so, se = rt.run(*period, "--sendmail", "/usr/sbin/sendmail", env=env)
tap.like(so, r"0 domains, 0 reports, 0 sent", "third run sends nothing")
time.sleep(1)
tap.is_(len(glob.glob(os.path.join(pf.mail_dir, "*.rua-*"))), 1,
        "still one delivered report")

# 4. STARTTLS on the SMTP relay path: Postfix offers it with a
# self-signed certificate made here.
import subprocess  # noqa: E402
sys.path.insert(0, os.path.join(HERE, "..", "data", "report"))
import history  # noqa: E402
key, crt = os.path.join(out, "tls.key"), os.path.join(out, "tls.crt")
p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", crt, "-days", "2",
                    "-subj", "/CN=mx.test.local"], stdout=subprocess.PIPE,
                   stderr=subprocess.STDOUT)
tap.is_(p.returncode, 0, "self-signed certificate made")
os.chmod(key, 0o644)
with open(os.path.join(pf.config_dir, "master.cf"), "a") as fp:
    fp.write("tlsmgr    unix  -       -       n       1000?   1       "
             "tlsmgr\n")
pf.set_main({"smtpd_milters": "",        # the daemon is stopped
             "smtpd_tls_security_level": "may",
             "smtpd_tls_cert_file": crt, "smtpd_tls_key_file": key,
             "smtpd_tls_loglevel": "1",
             "smtpd_tls_received_header": "yes"}, reload=True)
harness.wait_for_socket(("127.0.0.1", pf.port), 10, pf.proc)
h2 = os.path.join(out, "tls.db")
if os.path.exists(h2):
    os.unlink(h2)
db = history.create(h2)
T1 = now - now % 86400 - 86400           # yesterday
history.add(db, time=T1 + 5, rua="mailto:rua-tls@test.local",
            policy_domain="example.com", header_from="example.com")
db.commit()
db.close()
rc, so, se = rt.run("--db", h2, "--begin", str(T1), "--end",
                    str(T1 + 86400), "--smtp-relay",
                    "127.0.0.1:%d" % pf.port)
tap.like(so, r"1 reports, 1 sent", "report sent through the relay (%s)" %
         se[-300:])
paths = []
deadline = time.time() + 30
while time.time() < deadline and not paths:
    paths = glob.glob(os.path.join(pf.mail_dir, "*.rua-tls@test.local"))
    time.sleep(0.2)
raw = open(paths[0], "rb").read().decode("ascii", "replace") if paths \
    else ""
tap.like(raw, r"(?m)^Received: from mx\.test\.local \(localhost "
         r"\[127\.0\.0\.1\]\)\s+\(using TLSv1\.[23] with cipher",
         "delivered; Postfix's Received line says TLS")
tap.like(raw, r"with ESMTPS id", "protocol ESMTPS")
tap.like(pf.log_text(), r"TLS connection established from localhost"
         r"\[127\.0\.0\.1\]", "Postfix logged the TLS connection")
tap.like(sqlite3.connect(h2).execute(
    "SELECT detail FROM report_dest").fetchone()[0], r"^relay \(TLS\): 250",
    "report_dest records the delivery over TLS")

pf.stop()
tap.done_testing()
