#!/usr/bin/python3
"""spoof_tricks.t - attacks on the decision around DMARC (issue 12, items
2, 3, 4 and 7), each tried against the real daemon with DNS from the test
DNS server on loopback.  Each of these let a p=reject spoof through (or
miscounted it) before the fix:

  - more than 64 forged Authentication-Results claiming our authserv-id
    (the 65th survived); one written "MX.TEST.LOCAL." with a trailing dot
    (kept, as another host's);
  - "rcpt newcustomer.example monitor" in LocalPolicyFile: one such
    recipient next to others carried the spoof to all of them;
  - a per-domain monitor stage did not reach TempErrorAction and
    BadFromAction (only the global Enforcement did); the history row did
    not say what the MTA was told (451/550);
  - a sender with a domain of its own (SPF pass, List-Id under it)
    turned a reject into quarantine with the mailing-list exception; now
    the author's DKIM signature must have survived but for the body hash
    (policy/mlist.h rule 4).
"""

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

harness.require_daemon()

AUTHOR_IP = "192.0.2.10"      # victim.example's own server
EVIL_IP = "198.51.100.66"     # the attacker's server, SPF pass for evil
LIST_IP = "198.51.100.20"     # lists.example.org
RCPT = "bob@mx.test.local"
NEW = "carol@newcustomer.example"

victim_key = dkimtest.Key.rsa(2048)
evil_key = dkimtest.Key.rsa(2048)

ZONE = "\n".join([
    'victim.example TXT "v=spf1 ip4:%s -all"' % AUTHOR_IP,
    '_dmarc.victim.example TXT "v=DMARC1; p=reject"',
    victim_key.zone_line("sel", "victim.example"),
    'evil.example TXT "v=spf1 ip4:%s -all"' % EVIL_IP,
    '_dmarc.evil.example TXT "v=DMARC1; p=none"',
    evil_key.zone_line("evil", "evil.example"),
    'lists.example.org TXT "v=spf1 ip4:%s -all"' % LIST_IP,
    '_dmarc.example.org TXT "v=DMARC1; p=none"',
    '_dmarc.slow.example TIMEOUT',
    '_dmarc.slowmon.example TIMEOUT',
])

LOCAL_POLICY = """# spoof_tricks.t
rcpt newcustomer.example monitor
rcpt monitored.test.local monitor
from slowmon.example monitor
"""

dns = harness.start_dns(ZONE)
if dns is None:
    tap.skip_all("test DNS server unavailable: %s" % harness.last_dns_error)
out = harness.outdir("spoof_tricks")
HISTORY = os.path.join(out, "history.db")
lp_path = os.path.join(out, "local.policy")
with open(lp_path, "w") as fp:
    fp.write(LOCAL_POLICY)
daemon = harness.Daemon(out, {
    "AuthservID": "mx.test.local", "IgnoreNetworks": '""', "Syslog": "no",
    "DNSTimeout": 1, "HistoryDB": HISTORY, "LocalPolicyFile": lp_path,
    "TempErrorAction": "tempfail"}, dns=dns)
daemon.start()


def send(tag, msg, ip=EVIL_IP, mailfrom="x@evil.example", rcpts=(RCPT,)):
    """One message over its own milter connection, queue id = tag."""
    return milterclient.send_message(daemon.socket_spec, ip, "mail.example",
                                     mailfrom, list(rcpts), msg, qid=tag)


def spoof(extra_headers=(), frm="ceo@victim.example", body="Pay now.\n"):
    return dkimtest.message(frm=frm, to=RCPT, body=body,
                            extra_headers=extra_headers)


def outcome(r):
    if r.action == "reject":
        return "reject"
    if r.quarantine:
        return "quarantine"
    return r.action


def deleted_authres(r):
    return sorted(i for (i, n, v) in r.headers_changed
                  if n.lower() == "authentication-results" and v == "")


# ---- item 2: forged Authentication-Results -------------------------------
r = send("ar-few", spoof([
    "Authentication-Results: mx.test.local; dmarc=pass header.from=x",
    "Authentication-Results: other.example; spf=pass",
    "Authentication-Results: MX.TEST.LOCAL.; dmarc=pass",
    "Authentication-Results: mx.test.local..; dmarc=pass"]),
    ip=AUTHOR_IP, mailfrom="ceo@victim.example")
tap.is_(deleted_authres(r), [1, 3],
        "ours removed, also with a trailing dot and in upper case; "
        "another host's and 'mx.test.local..' kept")
tap.is_(outcome(r), "accept", "a few forged headers: message accepted")

forged = ["Authentication-Results: mx.test.local; dmarc=pass "
          "header.from=victim.example"] * 70
r = send("ar-many", spoof(forged), ip=AUTHOR_IP, mailfrom="ceo@victim.example")
tap.is_(outcome(r), "reject", "70 forged Authentication-Results: refused "
        "(not delivered with 6 of them left)")
tap.like(r.reply or "", r"^550 5\.7\.1 .*Authentication-Results",
         "550 5.7.1 names the reason")
r = send("ar-64", spoof(forged[:64]), ip=AUTHOR_IP,
         mailfrom="ceo@victim.example")
tap.is_((outcome(r), len(deleted_authres(r))), ("accept", 64),
        "64 forged: all removed, message accepted")

# ---- item 3: recipients with different LocalPolicyFile settings ----------
r = send("rcpt-mixed", spoof(), rcpts=(RCPT, NEW))
tap.is_([rr.action for rr in r.rcpt_results], ["continue", "tempfail"],
        "monitor recipient after a normal one: refused at RCPT")
tap.like(r.rcpt_results[1].reply or "", r"^452 4\.7\.1 ",
         "452 4.7.1, the sender retries it separately")
tap.is_(outcome(r), "reject", "the spoof is rejected for the normal "
        "recipient")

r = send("rcpt-mixed-rev", spoof(), rcpts=(NEW, RCPT, "dave@mx.test.local"))
tap.is_([rr.action for rr in r.rcpt_results],
        ["continue", "tempfail", "tempfail"],
        "normal recipients after a monitor one: refused at RCPT")
tap.is_(outcome(r), "accept", "monitor recipient alone: monitored")

r = send("rcpt-same", spoof(), rcpts=(NEW, "x@monitored.test.local"))
tap.is_([rr.action for rr in r.rcpt_results], ["continue", "continue"],
        "two recipients with the same settings: both taken")

# A reload that adds the first rcpt entries: a connection negotiated
# before it gets no RCPT replies, so a mixed message is tempfailed whole.
late_lp = os.path.join(out, "late.policy")
with open(late_lp, "w") as fp:
    fp.write("from slowmon.example monitor\n")
late = harness.Daemon(out, {
    "AuthservID": "mx.test.local", "IgnoreNetworks": '""', "Syslog": "no",
    "DNSTimeout": 1, "HistoryDB": '""', "LocalPolicyFile": late_lp},
    dns=dns, name="late")
late.start()
old_conn = milterclient.MilterClient(late.socket_spec)
old_conn.open()
tap.ok(old_conn.wants(milterclient.SMFIP_NR_RCPT),
       "without rcpt entries RCPT needs no reply")
with open(late_lp, "a") as fp:
    fp.write("rcpt newcustomer.example monitor\n")
late.reload()
deadline = time.time() + 10
while "(2 entries)" not in late.stderr_text() and time.time() < deadline:
    time.sleep(0.05)
old_conn.connect("[%s]" % EVIL_IP, "4", 54321, EVIL_IP,
                 milterclient.connect_macros(EVIL_IP, None))
old_conn.helo("mail.example", {})
r = old_conn.message("x@evil.example", [RCPT, NEW], spoof(), qid="late-old")
old_conn.quit()
tap.is_((r.action, (r.reply or "")[:9]), ("tempfail", "451 4.7.1"),
        "connection from before the reload: mixed recipients tempfailed")
r = milterclient.send_message(late.socket_spec, EVIL_IP, "mail.example",
                              "x@evil.example", [RCPT, NEW], spoof())
tap.is_([rr.action for rr in r.rcpt_results], ["continue", "tempfail"],
        "new connection after the reload: refused at RCPT")
late.stop()

# ---- item 4: per-domain monitor and TempErrorAction / BadFromAction ------
r = send("tf-global", spoof(frm="a@slow.example"), mailfrom="a@slow.example")
tap.is_(outcome(r), "tempfail", "temperror, global stage: tempfail")
tap.like(r.reply or "", r"^451 4\.7\.5", "451 4.7.5")

r = send("tf-frommon", spoof(frm="a@slowmon.example"),
         mailfrom="a@slowmon.example")
tap.is_(outcome(r), "accept", "temperror, 'from DOMAIN monitor': accepted")

r = send("tf-rcptmon", spoof(frm="a@slow.example"),
         mailfrom="a@slow.example", rcpts=("x@monitored.test.local",))
tap.is_(outcome(r), "accept", "temperror, 'rcpt DOMAIN monitor': accepted")

nofrom = b"To: x@monitored.test.local\r\nSubject: none\r\n\r\nbody\r\n"
r = send("nofrom-mon", nofrom, rcpts=("x@monitored.test.local",))
tap.is_(outcome(r), "accept", "no From, 'rcpt DOMAIN monitor': accepted")
r = send("nofrom", nofrom)
tap.is_(outcome(r), "reject", "no From, global stage: rejected")

# ---- item 7: mailing-list exception ---------------------------------------
LIST_HDRS = ["List-Id: Announcements <x.evil.example>",
             "List-Post: <mailto:x@evil.example>"]
r = send("list-own-domain", spoof(LIST_HDRS))
tap.is_(outcome(r), "reject", "own domain (SPF pass, List-Id under it): "
        "no list exception, rejected")
fake = dkimtest.sign(spoof(LIST_HDRS), evil_key, "sel", "victim.example")
r = send("list-fake-sig", fake)
tap.is_(outcome(r), "reject", "own domain and a d=victim.example signature "
        "that fails in the header fields: rejected")
genuine = dkimtest.sign(spoof(body="Minutes attached.\n"), victim_key, "sel",
                        "victim.example")
listed = (b"List-Id: Dev <dev.lists.example.org>\r\n" + genuine +
          b"-- \r\ndev mailing list\r\n")
r = send("list-genuine", listed, ip=LIST_IP,
         mailfrom="dev-bounces@lists.example.org")
tap.is_(outcome(r), "quarantine", "a list that added a footer to a message "
        "the author signed: list exception (quarantine)")
replay = (b"List-Id: Announcements <x.evil.example>\r\n" +
          genuine.replace(b"Minutes attached.", b"Pay this invoice."))
r = send("list-replay", replay)
tap.is_(outcome(r), "quarantine", "residual (documented): own domain "
        "replaying a signed message with another body is quarantined")

# History: what the MTA was told.
daemon.stop()
db = sqlite3.connect(HISTORY)
rows = dict(((q, (a, s)) for (q, a, s) in db.execute(
    "SELECT qid, action, smtp_reply FROM messages")))
tap.is_(rows.get("tf-global"), ("tempfail", "451 4.7.5"),
        "history: tempfailed row says 451 4.7.5")
tap.is_(rows.get("tf-frommon"), ("accept", ""), "history: accepted row")
tap.is_(rows.get("rcpt-mixed"), ("reject", "550 5.7.1"),
        "history: rejected row says 550 5.7.1")
tap.is_(rows.get("ar-many"), ("reject", "550 5.7.1"),
        "history: forged headers refused, 550 5.7.1")
db.close()
tap.done_testing()
