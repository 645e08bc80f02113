#!/usr/bin/python3
"""report.t - dmarcwarden-report end to end on synthetic histories (the
milter's schema, t/data/report/history.py), mail through a fake sendmail
that records argv and message and fails on demand.

  - what is sent: argv, MIME, Subject, attachment name, gzip, XML valid
    (built-in check and xmllint --schema), counts read back by Python's
    parser and by Mail::DMARC; rows marked with the report id
  - a second run sends nothing; rows without rua are marked "-"
  - sendmail failures: 75 and 1 are retried next run under the same
    report id, 67 fails for good, ReportMaxAttempts
  - !size limit, NoReportsList, non-mailto URIs
  - external destination verification both ways (test DNS), and a DNS
    failure that leaves the report for the next run
  - several --db merged (counts summed, one id, both marked)
  - --dry-run writes files and changes nothing; --format rfc7489
  - a run killed with SIGKILL while sending, then rerun: every domain
    reported, none twice (except the one message in flight, same id)
  - --expire-days
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "data", "report"))
import harness  # noqa: E402
import history  # noqa: E402
import reptest  # noqa: E402
import tap  # noqa: E402

if not os.access(reptest.REPORTER, os.X_OK):
    tap.skip_all("reporter/dmarcwarden-report not built")

T0 = 1763856000                   # 2025-11-23 00:00:00 UTC
PERIOD = ["--begin", "2025-11-23", "--end", "2025-11-24"]
out = harness.outdir("report")


def newdir(name):
    path = os.path.join(out, name)
    os.makedirs(path, exist_ok=True)
    return path


def q(path, sql, *args):
    db = sqlite3.connect(path)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def fill_basic(path):
    db = history.create(path)
    for i in range(5):
        history.add(db, time=T0 + 10 + i, source_ip="192.0.2.%d" % (i % 2))
    history.add(db, time=T0 + 20, source_ip="192.0.2.9",
                policy_domain="bank.example", header_from="bank.example",
                result="fail", dkim_aligned=0, spf_aligned=0,
                disposition_requested="reject", disposition_applied="reject",
                rua="mailto:dmarc@bank.example,https://bank.example/r",
                dkim=(), spf_result="fail")
    history.add(db, time=T0 + 30, policy_domain="norua.example",
                header_from="norua.example", rua="")
    # Not counted: a DMARC report itself, no policy, outside the period.
    history.add(db, time=T0 + 40, is_report=1)
    history.add(db, time=T0 + 50, policy_found=0, policy_domain="")
    history.add(db, time=T0 + 86400 + 5)
    db.commit()
    db.close()


# ---- 1. a normal run ----------------------------------------------------
d1 = newdir("basic")
h1 = os.path.join(d1, "history.db")
fill_basic(h1)
rt = reptest.Reporter(d1)
rc, so, se = rt.run("--db", h1, *PERIOD)
tap.is_(rc, 0, "run exits 0 (%s)" % se.strip()[-200:])
tap.like(so, r"^dmarcwarden-report: 3 domains, 2 reports, 2 sent, "
         r"2 skipped \(no rua 1, not mailto 1\), 0 failed, 0 to retry, "
         r"0 invalid, 7 rows, [\d.]+ s$", "one-line summary")
sent = rt.sent()
tap.is_(len(sent), 2, "two messages handed to sendmail")
byrcpt = {argv[-1]: (argv, raw) for argv, raw in sent}
tap.is_(sorted(byrcpt), ["dmarc@bank.example", "dmarc@example.com"],
        "one per mailto destination, https skipped")
argv = byrcpt["dmarc@example.com"][0]
tap.is_(argv, ["-oi", "-f", "dmarc-reports@mx.test.local", "--",
               "dmarc@example.com"], "sendmail -oi -f SENDER -- RCPT")
try:
    info = reptest.parse_report_mail(byrcpt["dmarc@example.com"][1])
    tap.ok(True, "MIME structure, Subject, attachment name")
except AssertionError as exc:
    info = None
    tap.ok(False, "MIME structure: %s" % exc)
if info:
    tap.is_(info["domain"], "example.com", "Subject names the domain")
    tap.is_(info["submitter"], "mx.test.local", "submitter from sender")
    tap.is_((info["begin"], info["end"]), (T0, T0 + 86399),
            "file name period")
    raw = byrcpt["dmarc@example.com"][1].decode()
    tap.like(raw, r'(?m)^From: "Test Receiver" '
             r'<dmarc-reports@mx.test.local>\r$', "From with org name")
    tap.like(raw, r"(?m)^To: <dmarc@example.com>\r$", "To")
    good, err = reptest.xmllint(info["xml"])
    tap.ok(good, "xmllint --schema validates the RFC 9990 report %s" % err)
    c = reptest.et_counts(info["xml"])
    tap.is_(c["total"], 5, "counts sum to the 5 messages (report and "
            "no-policy rows not counted)")
    tap.is_(c["by_ip"], {"192.0.2.0": 3, "192.0.2.1": 2},
            "grouped per source: 3 + 2")
    tap.is_(c["records"], 2, "2 records, not one per message")
    tap.is_(c["report_id"], info["report_id"], "XML id = Subject id")
    gen = c["root"].find("d:report_metadata/d:generator", c["ns"])
    tap.like(gen.text if gen is not None else "",
             r"^dmarcwarden-report \d+\.\d+\.\d+$", "generator with version")
    md = reptest.mail_dmarc(info["xml"])
    if md is None:
        tap.skip("Mail::DMARC (libmail-dmarc-perl) not installed")
    else:
        tap.is_(md, "report_id=%s domain=example.com records=2 count=5" %
                info["report_id"], "Mail::DMARC reads the same report")
    rows = q(h1, "SELECT DISTINCT reported FROM messages WHERE "
             "policy_domain='example.com' AND time < ? AND is_report=0",
             T0 + 86400)
    tap.is_(rows, [(info["report_id"],)], "rows marked with the report id")
tap.is_(q(h1, "SELECT reported FROM messages WHERE policy_domain="
          "'norua.example'"), [("-",)], "rows of a domain without rua: '-'")
tap.is_(q(h1, "SELECT count(*) FROM messages WHERE reported IS NULL"),
        [(3,)], "report, no-policy and next-day rows untouched")
tap.is_(q(h1, "SELECT state, count(*) FROM report_log GROUP BY state"),
        [("done", 2)], "report_log: both reports done")
tap.is_(q(h1, "SELECT uri, state FROM report_dest ORDER BY uri"),
        [("https://bank.example/r", "skipped"),
         ("mailto:dmarc@bank.example", "sent"),
         ("mailto:dmarc@example.com", "sent")], "report_dest states")

rc, so, se = rt.run("--db", h1, *PERIOD)
tap.is_((rc, len(rt.sent())), (0, 2), "second run: nothing sent again")
tap.like(so, r": 0 domains, 0 reports, 0 sent", "second run summary")

# ---- 2. sendmail failures ------------------------------------------------
d2 = newdir("fail")
h2 = os.path.join(d2, "history.db")
db = history.create(h2)
history.add(db, time=T0 + 1)
history.add(db, time=T0 + 2, policy_domain="perm.example",
            header_from="perm.example", rua="mailto:x@perm.example")
db.commit()
db.close()
rt2 = reptest.Reporter(d2, {"ReportMaxAttempts": "3"})
rt2.sendmail_exit(75)
rc, so, se = rt2.run("--db", h2, *PERIOD)
tap.like(so, r"0 sent, 0 skipped, 0 failed, 2 to retry", "exit 75: retry")
tap.like(se, r"attempt 1 failed, will retry: sendmail exit status 75",
         "logged as temporary")
tap.is_(q(h2, "SELECT count(*) FROM messages WHERE reported IS NULL"),
        [(2,)], "rows stay unreported")
rt2.sendmail_exit(1)
rc, so, se = rt2.run("--db", h2, *PERIOD)
tap.like(so, r"2 to retry", "exit 1: temporary as well")
ids = set(reptest.parse_report_mail(raw)["report_id"]
          for argv, raw in rt2.sent() if argv[-1] == "dmarc@example.com")
tap.is_(len(ids), 1, "the retry carries the same report id")
tap.is_(q(h2, "SELECT attempts, state FROM report_dest WHERE uri="
          "'mailto:dmarc@example.com'"), [(2, "pending")],
        "two attempts recorded, still pending")
rt2.sendmail_exit(None)
with open(os.path.join(d2, "perm-fails"), "w") as fp:
    fp.write("")
# perm.example gets a permanent error, example.com goes through.
script = open(rt2.sendmail).read().replace(
    'exit 0\n', 'case "$*" in *perm.example*) exit 67;; esac\nexit 0\n')
with open(rt2.sendmail, "w") as fp:
    fp.write(script)
rc, so, se = rt2.run("--db", h2, *PERIOD)
tap.like(so, r"1 sent, 0 skipped, 1 failed, 0 to retry",
         "third run: sent, and 67 (EX_NOUSER) failed for good")
tap.like(se, r"perm.example to mailto:x@perm.example failed for good after "
         r"3 attempts", "permanent failure logged")
last = [raw for argv, raw in rt2.sent() if argv[-1] == "dmarc@example.com"]
tap.is_(reptest.parse_report_mail(last[-1])["report_id"], ids.pop(),
        "delivered under the id of the failed attempts")
tap.is_(q(h2, "SELECT count(*) FROM messages WHERE reported IS NULL"),
        [(0,)], "all rows marked once every destination is final")
rc, so, se = rt2.run("--db", h2, *PERIOD)
tap.like(so, r"0 reports, 0 sent", "nothing more after that")

# ---- 3. destinations: size, NoReportsList, external verification ----------
ZONE = "\n".join([
    'example.com._report._dmarc.ok-reports.example TXT "v=DMARC1"',
    'example.com._report._dmarc.bad-reports.example TXT "v=spf1 -all"',
    'example.com._report._dmarc.flaky.example SERVFAIL',
    # RFC 9990 section 4: the authorization record's rua= replaces the
    # destination (at the same host only).
    'corp.example._report._dmarc.over.example TXT "v=DMARC1; rua=mailto:'
    'new@over.example,mailto:evil@elsewhere.example"',
    'corp.example._report._dmarc.away.example TXT "v=DMARC1; rua=mailto:'
    'x@elsewhere.example"',
])
dns = harness.start_dns(ZONE)
d3 = newdir("dest")
h3 = os.path.join(d3, "history.db")
db = history.create(h3)
history.add(db, time=T0 + 1, rua=",".join([
    "mailto:small@example.com!100",          # !size ignored (RFC 9989)
    "mailto:big@example.com!10485760",
    "mailto:Loop@Example.com",               # in NoReportsList
    "mailto:a@ok-reports.example",           # external, authorized
    "mailto:b@bad-reports.example",          # external, TXT not DMARC
    "mailto:c@none-reports.example",         # external, nothing at all
    "mailto:d@flaky.example",                # external, SERVFAIL
    "mailto:e@sub.example.com"]))            # below the policy domain
history.add(db, time=T0 + 2, policy_domain="corp.example",
            header_from="corp.example", rua=",".join([
                "mailto:old@over.example",   # replaced by new@
                "mailto:y@away.example"]))   # replaced by another host
db.commit()
db.close()
conf = {"NoReportsList": "loop@example.com, never.example"}
if dns:
    conf["Nameservers"] = "127.0.0.1@%d" % dns.port
    conf["DNSTimeout"] = "2"
rt3 = reptest.Reporter(d3, conf)
if dns is None:
    tap.skip("test DNS unavailable: %s" % harness.last_dns_error, 10)
else:
    rc, so, se = rt3.run("--db", h3, *PERIOD)
    got = sorted(argv[-1] for argv, raw in rt3.sent())
    tap.is_(got, ["a@ok-reports.example", "big@example.com",
                  "e@sub.example.com", "new@over.example",
                  "small@example.com"], "sent to the allowed destinations: "
            "!size ignored, the authorization record's rua= instead of the "
            "original, never another host")
    tap.like(so, r"5 skipped \(NoReportsList 1, replaced by authorization "
             r"record 2, external not authorized 2\)", "skips counted by "
             "reason")
    tap.like(se, r"mailto:old@over.example skipped: replaced by the rua= of "
             r"corp.example._report._dmarc.over.example", "replacement logged")
    tap.like(se, r"mailto:y@away.example skipped: the rua= of corp.example."
             r"_report._dmarc.away.example names no URI at away.example",
             "a replacement at another host is not followed")
    tap.like(se, r"bad-reports.example has not authorized reports for "
             r"example.com \(no v=DMARC1 at example.com._report._dmarc."
             r"bad-reports.example\)", "unauthorized external logged")
    tap.like(so, r"1 to retry", "SERVFAIL on the verification: retry")
    tap.is_(q(h3, "SELECT count(*) FROM messages WHERE reported IS NULL"),
            [(1,)], "a pending destination keeps the rows unmarked")
    dns.set_zone(ZONE.replace("flaky.example SERVFAIL",
                              'flaky.example TXT "v=DMARC1;"'))
    rc, so, se = rt3.run("--db", h3, *PERIOD)
    got = [argv[-1] for argv, raw in rt3.sent()][5:]
    tap.is_(got, ["d@flaky.example"], "next run: only the pending "
            "destination, now authorized")
    tap.is_(q(h3, "SELECT count(*) FROM messages WHERE reported IS NULL"),
            [(0,)], "then the rows are marked")
    names = [n for n, t, p in dns.queries]
    tap.ok(not any("example.com._report._dmarc.sub.example.com" in n
                   for n in names), "no verification for a destination "
           "below the policy domain")

# ---- 3b. np= for a passing message from a non-existent subdomain ------------
d3b = newdir("np")
h3b = os.path.join(d3b, "history.db")
db = history.create(h3b)
for hf in ("gone.np.example", "live.np.example", "np.example"):
    history.add(db, time=T0 + 1, policy_domain="np.example", header_from=hf,
                policy_p="reject", policy_sp="reject", policy_np="none",
                rua="mailto:r@np.example")
db.commit()
db.close()
if dns is None:
    tap.skip("test DNS unavailable", 3)
else:
    dns.set_zone("live.np.example A 192.0.2.80\nnp.example A 192.0.2.80")
    rt3b = reptest.Reporter(d3b, conf)
    rc, so, se = rt3b.run("--db", h3b, *PERIOD)
    sent = rt3b.sent()
    disp = {}
    if sent:
        c = reptest.et_counts(reptest.parse_report_mail(sent[0][1])["xml"])
        for rec in c["root"].findall("d:record", c["ns"]):
            disp[rec.find("d:identifiers/d:header_from", c["ns"]).text] = \
                rec.find("d:row/d:policy_evaluated/d:disposition",
                         c["ns"]).text
    tap.is_(disp.get("gone.np.example"), "none", "pass from a non-existent "
            "subdomain: np=none, disposition none")
    tap.is_(disp.get("live.np.example"), "pass", "an existing subdomain: "
            "sp=reject, disposition pass")
    tap.is_(disp.get("np.example"), "pass", "the domain itself: p=reject")

# ---- 4. several databases, dry run, RFC 7489 ------------------------------
d4 = newdir("fleet")
hA, hB = os.path.join(d4, "a.db"), os.path.join(d4, "b.db")
for path, ips in ((hA, ["192.0.2.1"] * 3 + ["192.0.2.2"]),
                  (hB, ["192.0.2.1"] * 2 + ["198.51.100.1"])):
    db = history.create(path)
    for i, ip in enumerate(ips):
        history.add(db, time=T0 + 100 + i, source_ip=ip)
    history.add(db, time=T0 + 200, policy_domain="other.example",
                header_from="other.example", rua="mailto:r@other.example")
    db.commit()
    db.close()
rt4 = reptest.Reporter(d4)
dry = newdir("fleet/dry")
rc, so, se = rt4.run("--db", hA, "--db", hB, "--dry-run", dry, *PERIOD)
files = sorted(os.listdir(dry))
tap.is_(len([f for f in files if f.endswith(".xml.gz")]), 2,
        "dry run: one .xml.gz per domain")
tap.is_(len([f for f in files if f.endswith(".eml")]), 2,
        "dry run: one .eml per destination")
tap.is_(rt4.sent(), [], "dry run: nothing handed to sendmail")
tap.is_(q(hA, "SELECT count(*) FROM messages WHERE reported IS NULL") +
        q(hB, "SELECT count(*) FROM messages WHERE reported IS NULL"),
        [(5,), (4,)], "dry run: no row marked")
rc, so, se = rt4.run("--db", hA, "--db", hB, "--format", "rfc7489",
                     *PERIOD)
tap.like(so, r"2 domains, 2 reports, 2 sent", "fleet: one report per "
         "domain for both databases")
reports = {}
for argv, raw in rt4.sent():
    i = reptest.parse_report_mail(raw)
    i["raw"] = raw
    reports[i["domain"]] = i
ex = reports.get("example.com")
if ex:
    good, err = reptest.xmllint(ex["xml"], "rfc7489")
    tap.ok(good, "xmllint validates the RFC 7489 report %s" % err)
    c = reptest.et_counts(ex["xml"], "rfc7489")
    tap.is_(c["by_ip"], {"192.0.2.1": 5, "192.0.2.2": 1,
                         "198.51.100.1": 1}, "counts summed across --db")
    tap.unlike(ex["xml"].decode(), r"xmlns", "RFC 7489 report without a "
               "namespace, as legacy readers expect")
    md = reptest.mail_dmarc_receive(ex["raw"],
                                    os.path.join(d4, "mail-dmarc"))
    if md is not None:
        tap.is_(md, "type=aggregate report_id=%s domain=example.com "
                "records=3 count=7 stored=7" % ex["report_id"],
                "Mail::DMARC's own receiver (unmodified, from the mail) "
                "reads and stores the RFC 7489 report")
    else:
        tap.skip("Mail::DMARC not installed")
else:
    tap.ok(False, "no report for example.com")
    tap.skip("no report", 4)
tap.ok(len(set(i["report_id"] for i in reports.values())) == 2,
       "report ids unique")
marks = q(hA, "SELECT DISTINCT reported FROM messages WHERE policy_domain="
          "'example.com'") + q(hB, "SELECT DISTINCT reported FROM messages "
                               "WHERE policy_domain='example.com'")
tap.is_(marks, [(ex["report_id"],)] * 2 if ex else [],
        "both databases marked with the one report id")

# ---- 5. SIGKILL while sending, then rerun ---------------------------------
d5 = newdir("kill")
h5 = os.path.join(d5, "history.db")
db = history.create(h5)
NDOM = 12
for k in range(NDOM):
    dom = "d%02d.example" % k
    for i in range(3):
        history.add(db, time=T0 + k * 10 + i, policy_domain=dom,
                    header_from=dom, rua="mailto:r@%s" % dom)
db.commit()
db.close()
rt5 = reptest.Reporter(d5)
with open(os.path.join(d5, "sendmail.sleep"), "w") as fp:
    fp.write("0.15\n")
proc = subprocess.Popen([reptest.REPORTER, "-c", rt5.conf, "--db", h5,
                         "--no-progress"] + PERIOD, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE)
time.sleep(0.9)
proc.send_signal(signal.SIGKILL)
proc.wait()
first = len(rt5.sent())
os.unlink(os.path.join(d5, "sendmail.sleep"))
tap.ok(0 < first < NDOM, "killed mid-run after %d of %d reports" %
       (first, NDOM))
rc, so, se = rt5.run("--db", h5, *PERIOD)
tap.is_(rc, 0, "rerun after SIGKILL exits 0")
by_dom = {}
for argv, raw in rt5.sent():
    i = reptest.parse_report_mail(raw)
    by_dom.setdefault(i["domain"], []).append(
        (i["report_id"], str(i["msg"]["Message-ID"])))
tap.is_(len(by_dom), NDOM, "every domain reported")
dups = {d: v for d, v in by_dom.items() if len(v) > 1}
tap.ok(len(dups) <= 1, "at most the message in flight repeated: %r" % dups)
tap.ok(all(len(set(v)) == 1 for v in dups.values()),
       "a repeat has the same report id and Message-ID")
tap.is_(q(h5, "SELECT count(*) FROM messages WHERE reported IS NULL"),
        [(0,)], "all rows marked after the rerun")
rc, so, se = rt5.run("--db", h5, *PERIOD)
tap.like(so, r"0 reports, 0 sent", "third run sends nothing")

# ---- 6. expiry ---------------------------------------------------------------
rc, so, se = rt.run("--db", h1, "--expire-days", "1", *PERIOD)
tap.like(so, r", 9 expired,", "expired: reported (7), no-policy and "
         "report rows older than a day")
tap.is_(q(h1, "SELECT time - %d FROM messages" % T0), [(86405,)],
        "the unreported next-day row stays")
tap.is_(q(h1, "SELECT count(*) FROM message_dkim"), [(1,)],
        "children deleted with their rows")

# ---- 7. pacing and the progress bar ----------------------------------------
d7 = newdir("pace")
h7 = os.path.join(d7, "history.db")
db = history.create(h7)
for k in range(3):
    dom = "d%d.example.com" % k
    history.add(db, time=T0 + k, policy_domain=dom, header_from=dom,
                rua="mailto:agg@example.com")
db.commit()
db.close()
# PSL discovery: example.com is the organizational domain without DNS.
rt7 = reptest.Reporter(d7, {"PolicyDiscovery": "psl"})
t0 = time.time()
rc, so, se = rt7.run("--db", h7, "--batch", "2", "--delay", "1", *PERIOD)
took = time.time() - t0
tap.like(so, r"3 sent", "three reports to one destination domain")
tap.ok(1.0 <= took < 5, "--batch 2 --delay 1: one pause (%.1f s)" % took)
import pty  # noqa: E402
db = history.create(os.path.join(d7, "tty.db"))
history.add(db, time=T0 + 1)
db.commit()
db.close()
master, slave = pty.openpty()
p = subprocess.run([reptest.REPORTER, "-c", rt7.conf, "--db",
                    os.path.join(d7, "tty.db"), "--dry-run", d7] + PERIOD,
                   stdout=subprocess.PIPE, stderr=slave, timeout=30)
os.close(slave)
tty = b""
try:
    while True:
        chunk = os.read(master, 4096)
        if not chunk:
            break
        tty += chunk
except OSError:
    pass
os.close(master)
tap.like(tty.decode("ascii", "replace"), r"\r\[#+\] 1/1, 1 domains",
         "progress bar on a terminal")
p = subprocess.run([reptest.REPORTER, "-c", rt7.conf, "--db",
                    os.path.join(d7, "tty.db"), "--dry-run", d7] + PERIOD,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
tap.unlike((p.stdout + p.stderr).decode(), r"\[#",
           "no progress bar when stderr is not a terminal")

# ---- 8. usage errors -----------------------------------------------------------
rc, so, se = rt.run("--db", h1, "--begin", "2025-02-30")
tap.is_(rc, 2, "bad date refused")
rc, so, se = rt.run("--db", os.path.join(out, "missing.db"), *PERIOD)
tap.is_(rc, 2, "missing database refused")
tap.like(se, r"missing.db", "error names the file")
rc, so, se = rt.run("--db", h1, "--format", "json")
tap.is_(rc, 2, "unknown format refused")

tap.done_testing()
