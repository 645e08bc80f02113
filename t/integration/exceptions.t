#!/usr/bin/python3
"""exceptions.t - forwarding, mailing lists, ARC and staged enforcement
against the real daemon, with DNS from the test DNS server on loopback and
messages generated here (DKIM with python3-dkim, ARC sets with
t/lib/arctest.py, i.e. python3-dkim's ARC signer).

Scenarios: direct mail; simple forwarding (SPF fails, DKIM survives);
forwarding that breaks DKIM without ARC, with a trusted ARC seal, with an
untrusted seal, with a trusted seal tampered after sealing; a mailing list
that adds a footer, without ARC (list rule: quarantine), one that also
tags the subject (the author's signature then fails in the header fields:
no list exception, rejected) and with a trusted ARC seal (delivered); a
spoof carrying a
fake List-Id (from an IP that fails SPF, and with the list's own bounce
domain in MAIL FROM); trusted forwarders by network and by verified PTR,
and a PTR that does not verify; LocalPolicyFile never-reject,
always-reject, per-domain and per-recipient stages; the global Enforcement
quarantine stage (second daemon).  Checks the milter action, the
Authentication-Results properties, the history row (requested /
evaluated / applied, override reasons and comments, arc_result and
arc_sealers) and the log line, and prints the table of scenarios."""

import os
import sqlite3
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import arctest  # noqa: E402
import dkimtest  # noqa: E402
import harness  # noqa: E402
import milterclient  # noqa: E402
import tap  # noqa: E402

harness.require_daemon()

AUTHOR_IP = "192.0.2.10"       # author.example's own outbound server
LIST_IP = "198.51.100.20"      # lists.example.org
RELAY_IP = "203.0.113.77"      # an ordinary, untrusted forwarder
NET_FWD_IP = "203.0.113.140"   # in TrustedForwarders 203.0.113.128/25
PTR_FWD_IP = "203.0.113.5"     # PTR mx.fwd.example, which resolves back
FAKE_PTR_IP = "203.0.113.66"   # PTR mx.fwd.example, which does not
SPOOF_IP = "198.51.100.66"
RCPT = ["bob@mx.test.local"]

author_key = dkimtest.Key.rsa(2048)
list_key = dkimtest.Key.rsa(2048)
arc_keys = arctest.KeyTable()
list_seal = arc_keys.add("arc", "lists.example.org", dkimtest.Key.rsa(2048))
fwd_seal = arc_keys.add("arc", "fwd2.example", dkimtest.Key.rsa(2048))
evil_seal = arc_keys.add("arc", "evil.example", dkimtest.Key.rsa(2048))

ZONE = "\n".join([
    'author.example TXT "v=spf1 ip4:%s -all"' % AUTHOR_IP,
    '_dmarc.author.example TXT "v=DMARC1; p=reject"',
    author_key.zone_line("sel", "author.example"),
    'lists.example.org TXT "v=spf1 ip4:%s -all"' % LIST_IP,
    '_dmarc.example.org TXT "v=DMARC1; p=none"',
    list_key.zone_line("list", "lists.example.org"),
    '_dmarc.evil.example TXT "v=DMARC1; p=none"',
    '5.113.0.203.in-addr.arpa PTR mx.fwd.example',
    '66.113.0.203.in-addr.arpa PTR mx.fwd.example',
    'mx.fwd.example A %s' % PTR_FWD_IP,
    '_dmarc.monitor.example TXT "v=DMARC1; p=reject"',
    '_dmarc.staged.example TXT "v=DMARC1; p=reject"',
    '_dmarc.never.example TXT "v=DMARC1; p=reject"',
    '_dmarc.always.example TXT "v=DMARC1; p=none"',
]) + "\n" + arc_keys.zone()

LOCAL_POLICY = """# exceptions.t
from monitor.example   enforcement=monitor
from staged.example    enforcement=quarantine
from never.example     never-reject
from always.example    always-reject
rcpt trial.test.local  monitor
"""

dns = harness.start_dns(ZONE)
if dns is None:
    tap.skip_all("test DNS server unavailable: %s" % harness.last_dns_error)
out = harness.outdir("exceptions")
HISTORY = os.path.join(out, "history.db")
lp_path = os.path.join(out, "local.policy")
with open(lp_path, "w") as fp:
    fp.write(LOCAL_POLICY)
COMMON = {"AuthservID": "mx.test.local", "IgnoreNetworks": '""',
          "Syslog": "no", "DNSTimeout": 2,
          "TrustedForwarders": "203.0.113.128/25, .fwd.example",
          "ArcTrustedSealers": "lists.example.org, fwd2.example",
          "LocalPolicyFile": lp_path}
daemon = harness.Daemon(out, dict(COMMON, HistoryDB=HISTORY), dns=dns)
daemon.start()
staged = harness.Daemon(out, dict(COMMON, HistoryDB='""',
                                  Enforcement="quarantine"),
                        dns=dns, name="staged")
staged.start()

TABLE = []


def send(tag, msg, ip, mailfrom, d=None, rcpts=RCPT, helo="mail.example"):
    """One message over its own milter connection, queue id = tag."""
    d = d or daemon
    c = milterclient.MilterClient(d.socket_spec)
    c.open()
    try:
        c.connect("[%s]" % ip, "4", 54321, ip,
                  milterclient.connect_macros(ip, None))
        c.helo(helo, {})
        return c.message(mailfrom, rcpts, msg, qid=tag)
    finally:
        c.quit()


def authres(r):
    vals = [v for (_i, n, v) in r.headers_inserted
            if n.lower() == "authentication-results"]
    return vals[0] if vals else ""


def prop(ar, name):
    import re
    m = re.search(r"\b%s=(\"[^\"]*\"|[^\s;]+)" % re.escape(name), ar)
    return m.group(1).strip('"') if m else None


def outcome(r):
    if r.action == "reject":
        return "reject"
    if r.quarantine:
        return "quarantine"
    return r.action


def check(name, r, action, dmarc, applied=None, evaluated=None,
          reason=None, arc=None, extra=()):
    """Action, dmarc= result, policy properties; adds a table row."""
    ar = authres(r)
    tap.is_(outcome(r), action, "%s: %s" % (name, action))
    tap.is_(prop(ar, "dmarc"), dmarc, "%s: dmarc=%s" % (name, dmarc))
    if applied is not None:
        tap.is_(prop(ar, "policy.applied-disposition"), applied,
                "%s: applied %s" % (name, applied))
    if evaluated is not None:
        tap.is_(prop(ar, "policy.evaluated-disposition"), evaluated,
                "%s: evaluated %s" % (name, evaluated))
    if reason is not None or applied is not None:
        tap.is_(prop(ar, "policy.override-reason"), reason,
                "%s: override reason %s" % (name, reason))
    if arc is not None:
        tap.is_(prop(ar, "arc"), arc, "%s: arc=%s" % (name, arc))
    for pattern in extra:
        tap.like(ar, pattern, "%s: %s" % (name, pattern))
    TABLE.append((name, prop(ar, "dmarc") or "-", prop(ar, "arc") or "-",
                  prop(ar, "policy.dmarc") or "-",
                  prop(ar, "policy.evaluated-disposition") or "-",
                  prop(ar, "policy.applied-disposition") or "-",
                  prop(ar, "policy.override-reason") or "-", outcome(r)))
    return ar


# ----------------------------------------------------------- messages
def original(frm="alice@author.example", subject="Quarterly report",
             body="The numbers are in.\n", extra=()):
    msg = dkimtest.message(frm=frm, to=RCPT[0], subject=subject, body=body,
                           extra_headers=extra)
    return dkimtest.sign(msg, author_key, "sel", "author.example")


SAW = ("spf=pass smtp.mailfrom=author.example; dkim=pass "
       "header.d=author.example header.s=sel; dmarc=pass "
       "header.from=author.example")


def add_footer(msg, text="-- \r\nForwarded by a forwarder\r\n"):
    return msg + text.encode()


def list_copy(msg, arc_seal=None, saw=SAW, tag=True):
    """What lists.example.org sends on: subject tag (unless tag is False),
    footer, list headers, its own DKIM signature, optionally its ARC seal
    on top."""
    if tag:
        msg = msg.replace(b"Subject: ", b"Subject: [dev] ", 1)
    msg = (b"List-Id: Developers <dev.lists.example.org>\r\n"
           b"List-Post: <mailto:dev@lists.example.org>\r\n" + msg)
    msg = add_footer(msg, "-- \r\ndev mailing list\r\n")
    msg = dkimtest.sign(msg, list_key, "list", "lists.example.org")
    if arc_seal:
        msg = arctest.seal(msg, arc_seal, "arc", "lists.example.org",
                           "lists.example.org", cv="none", results=saw)
    return msg


# ---------------------------------------------------------- scenarios
r = send("direct", original(), AUTHOR_IP, "alice@author.example")
check("direct mail", r, "accept", "pass", arc="none",
      extra=[r"spf=pass", r"dkim=pass header\.d=author\.example",
             r"smtp\.remote-ip=192\.0\.2\.10"])

r = send("fwd-plain", original(), RELAY_IP, "alice@author.example")
check("simple forwarding: SPF fails, DKIM survives", r, "accept", "pass",
      extra=[r"spf=fail", r"dkim=pass"])

r = send("fwd-broken", add_footer(original()), RELAY_IP,
         "alice@author.example")
check("forwarding breaks DKIM, no ARC", r, "reject", "fail",
      extra=[r"dkim=fail"])

sealed = arctest.seal(add_footer(original()), fwd_seal, "arc", "fwd2.example",
                      "fwd2.example", cv="none", results=SAW)
r = send("fwd-arc", sealed, RELAY_IP, "alice@author.example")
check("forwarding breaks DKIM, trusted ARC seal", r, "accept", "fail",
      applied="none", evaluated="none", reason="local_policy", arc="pass",
      extra=[r"arc\.chain=fwd2\.example",
             r"policy\.override-reason=local_policy \(trusted ARC sealer "
             r"fwd2\.example i=1: dmarc=pass\)",
             r"policy\.dmarc=reject"])

sealed = arctest.seal(add_footer(original()), evil_seal, "arc",
                      "evil.example", "evil.example", cv="none", results=SAW)
r = send("fwd-untrusted", sealed, RELAY_IP, "alice@author.example")
check("forwarding breaks DKIM, untrusted ARC seal", r, "reject", "fail",
      arc="pass", extra=[r"arc\.chain=evil\.example"])

sealed = arctest.seal(add_footer(original()), fwd_seal, "arc", "fwd2.example",
                      "fwd2.example", cv="none", results=SAW)
sealed = sealed.replace(b"The numbers are in.", b"The numbers are OUT.")
r = send("fwd-tampered", sealed, RELAY_IP, "alice@author.example")
check("trusted ARC seal, body changed after sealing", r, "reject", "fail",
      arc="fail")

sealed = arctest.seal(add_footer(original()), fwd_seal, "arc", "fwd2.example",
                      "fwd2.example", cv="none",
                      results="spf=fail smtp.mailfrom=author.example; "
                              "dmarc=fail header.from=author.example")
r = send("fwd-arc-saw-fail", sealed, RELAY_IP, "alice@author.example")
check("trusted ARC seal that recorded dmarc=fail", r, "reject", "fail",
      arc="pass")

r = send("list", list_copy(original(), tag=False), LIST_IP,
         "dev-bounces@lists.example.org")
check("mailing list (footer), no ARC", r, "quarantine", "fail",
      applied="quarantine", evaluated="quarantine", reason="mailing_list",
      extra=[r"spf=pass .*smtp\.mailfrom=lists\.example\.org",
             r"dkim=pass header\.d=lists\.example\.org",
             r"dkim=fail \(body hash mismatch\) header\.d=author\.example"])

# The list rule wants the author's signature intact but for the body
# (policy/mlist.h rule 4); a subject tag breaks it in the header fields.
r = send("list-tag", list_copy(original()), LIST_IP,
         "dev-bounces@lists.example.org")
check("mailing list (subject tag, footer), no ARC", r, "reject", "fail",
      applied="reject", evaluated="reject",
      extra=[r"dkim=fail \(signature verification failed\) "
             r"header\.d=author\.example"])

r = send("list-arc", list_copy(original(), arc_seal=list_seal), LIST_IP,
         "dev-bounces@lists.example.org")
check("mailing list with trusted ARC seal", r, "accept", "fail",
      applied="none", reason="local_policy", arc="pass",
      extra=[r"arc\.chain=lists\.example\.org"])

spoof = dkimtest.message(frm="ceo@author.example", to=RCPT[0],
                         subject="[dev] wire transfer",
                         extra_headers=["List-Id: <dev.lists.example.org>",
                                        "List-Post: <mailto:dev@lists."
                                        "example.org>"])
r = send("spoof-listid", spoof, SPOOF_IP, "ceo@author.example")
check("spoof with a fake List-Id", r, "reject", "fail",
      extra=[r"spf=fail", r"dkim=none"])

r = send("spoof-listid-bounce", spoof, SPOOF_IP,
         "dev-bounces@lists.example.org")
check("spoof with fake List-Id and the list's bounce domain", r, "reject",
      "fail", extra=[r"spf=fail .*smtp\.mailfrom=lists\.example\.org"])

forged = arctest.seal(spoof, evil_seal, "arc", "evil.example",
                      "evil.example", cv="none", results=SAW)
r = send("spoof-arc-untrusted", forged, SPOOF_IP, "ceo@author.example")
check("spoof sealed by an untrusted ARC sealer", r, "reject", "fail",
      arc="pass")

r = send("fwd-net", add_footer(original()), NET_FWD_IP,
         "alice@author.example")
check("trusted forwarder (network)", r, "accept", "fail", applied="none",
      reason="trusted_forwarder")

r = send("fwd-ptr", add_footer(original()), PTR_FWD_IP,
         "alice@author.example")
check("trusted forwarder (verified PTR)", r, "accept", "fail",
      applied="none", reason="trusted_forwarder")

r = send("fwd-fakeptr", add_footer(original()), FAKE_PTR_IP,
         "alice@author.example")
check("PTR names a trusted forwarder but does not verify", r, "reject",
      "fail")

r = send("lp-never", original(frm="a@never.example"), SPOOF_IP,
         "a@never.example")
check("LocalPolicyFile never-reject", r, "quarantine", "fail",
      applied="quarantine", evaluated="quarantine", reason="local_policy")

r = send("lp-always", original(frm="a@always.example"), SPOOF_IP,
         "a@always.example")
check("LocalPolicyFile always-reject (p=none)", r, "reject", "fail",
      applied="reject", evaluated="reject", reason="local_policy",
      extra=[r"policy\.dmarc=none"])

r = send("stage-reject", spoof, SPOOF_IP, "ceo@author.example")
check("Enforcement reject (global default)", r, "reject", "fail",
      applied="reject", evaluated="reject", reason=None)

r = send("stage-domain-monitor", original(frm="a@monitor.example"),
         SPOOF_IP, "a@monitor.example")
check("per-domain stage monitor", r, "accept", "fail", applied="none",
      evaluated="reject", reason="local_policy")

r = send("stage-domain-quarantine", original(frm="a@staged.example"),
         SPOOF_IP, "a@staged.example")
check("per-domain stage quarantine", r, "quarantine", "fail",
      applied="quarantine", evaluated="reject", reason="local_policy")

r = send("stage-rcpt-monitor", spoof, SPOOF_IP, "ceo@author.example",
         rcpts=["carol@trial.test.local"])
check("per-recipient stage monitor", r, "accept", "fail", applied="none",
      evaluated="reject", reason="local_policy")

r = send("stage-global-quarantine", spoof, SPOOF_IP, "ceo@author.example",
         d=staged)
check("Enforcement quarantine (global)", r, "quarantine", "fail",
      applied="quarantine", evaluated="reject", reason="local_policy")

r = send("stage-global-quarantine-list", list_copy(original(), tag=False),
         LIST_IP,
         "dev-bounces@lists.example.org", d=staged)
check("Enforcement quarantine, list mail", r, "quarantine", "fail",
      applied="quarantine", evaluated="quarantine", reason="mailing_list")

# --------------------------------------------------------- history
stops = [threading.Thread(target=d.stop) for d in (daemon, staged)]
for t in stops:
    t.start()
for t in stops:
    t.join()
db = sqlite3.connect(HISTORY)
db.row_factory = sqlite3.Row


def row(qid):
    return db.execute("SELECT * FROM messages WHERE qid = ?",
                      (qid,)).fetchone()


def overrides(r):
    return [(o["reason"], o["comment"]) for o in db.execute(
        "SELECT reason, comment FROM message_override WHERE message_id = ? "
        "ORDER BY seq", (r["id"],))]


def dispositions(r):
    return (r["disposition_requested"], r["disposition_evaluated"],
            r["disposition_applied"])


h = row("fwd-arc")
if tap.ok(h is not None, "history row for the trusted ARC case"):
    tap.is_((h["arc_result"], h["arc_sealers"]), ("pass", "fwd2.example"),
            "history: arc result and sealers")
    tap.is_(dispositions(h), ("reject", "none", "none"),
            "history: requested/evaluated/applied with a trusted seal")
    tap.is_(overrides(h), [("local_policy", "trusted ARC sealer "
                            "fwd2.example i=1: dmarc=pass")],
            "history: override names the sealer")
h = row("fwd-tampered")
if tap.ok(h is not None, "history row for the tampered chain"):
    tap.is_(h["arc_result"], "fail", "history: tampered chain fails")
h = row("direct")
if tap.ok(h is not None, "history row for direct mail"):
    tap.is_((h["arc_result"], h["arc_sealers"]), ("none", ""),
            "history: no ARC")
h = row("list")
if tap.ok(h is not None, "history row for the list"):
    tap.is_(dispositions(h), ("reject", "quarantine", "quarantine"),
            "history: list mail quarantined")
    tap.is_(overrides(h), [("mailing_list", "list dev.lists.example.org "
                            "via spf lists.example.org")],
            "history: list override and how it was authenticated")
h = row("stage-domain-monitor")
if tap.ok(h is not None, "history row for the monitor stage"):
    tap.is_(dispositions(h), ("reject", "reject", "none"),
            "history: monitor keeps what full enforcement would do")
    tap.like(overrides(h)[0][1] if overrides(h) else "",
             r"^Enforcement monitor, local\.policy:2 from monitor\.example",
             "history: stage comment names the LocalPolicyFile line")
h = row("fwd-ptr")
if tap.ok(h is not None, "history row for the PTR forwarder"):
    tap.is_(overrides(h), [("trusted_forwarder", "TrustedForwarders "
                            "verified PTR mx.fwd.example")],
            "history: forwarder override names the verified name")
h = row("spoof-listid")
if tap.ok(h is not None, "history row for the fake List-Id"):
    tap.is_((dispositions(h), overrides(h)),
            (("reject", "reject", "reject"), []),
            "history: fake List-Id got no exception")
tap.like(daemon.stderr_text(), r"fwd-arc: from=author\.example .*arc=pass"
         r"\(fwd2\.example\) dmarc=fail .*requested=reject evaluated=none "
         r"applied=none override=local_policy action=accept "
         r"overrides=\"trusted ARC sealer fwd2\.example i=1: dmarc=pass\"",
         "log line: ARC result, dispositions, override and its comment")

tap.diag("%-52s %-5s %-5s %-10s %-10s %-10s %-17s %s" % (
    "scenario", "dmarc", "arc", "published", "evaluated", "applied",
    "override", "action"))
for t in TABLE:
    tap.diag("%-52s %-5s %-5s %-10s %-10s %-10s %-17s %s" % t)
tap.done_testing()
