#!/usr/bin/python3
"""postfix.t - end to end through real Postfix: smtpd on a loopback port
with smtpd_milters pointing at the real dmarcwarden daemon, DNS from the
test DNS server.

  p=reject failing mail   -> refused in the SMTP dialogue with 550 5.7.1
  p=quarantine failing    -> accepted, sits in Postfix's hold queue
  passing mail            -> delivered, with our Authentication-Results
  forwarded, DKIM broken, sealed by a trusted ARC sealer -> delivered
  the same spoofed without the seal (and with an untrusted seal) -> 550

Skips (TAP skip with the reason) only when not root or Postfix cannot be
started; CI runs as root and runs it."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import arctest  # noqa: E402
import dkimtest  # noqa: E402
import harness  # noqa: E402
import tap  # noqa: E402
from postfix import PrivatePostfix, PostfixUnavailable  # noqa: E402
from postfix import ensure_daemon_user  # noqa: E402

harness.require_daemon()
if os.geteuid() != 0:
    tap.skip_all("not root: cannot start a private Postfix instance")

key = dkimtest.Key.rsa(2048)
arc_keys = arctest.KeyTable()
fwd_seal = arc_keys.add("arc", "fwd.example", dkimtest.Key.rsa(2048))
evil_seal = arc_keys.add("arc", "evil.example", dkimtest.Key.rsa(2048))
# smtplib connects from 127.0.0.1, so that is the client address
# dmarcwarden sees: SPF of the legitimate domains authorizes it.
ZONE = "\n".join([
    'example.com TXT "v=spf1 ip4:127.0.0.1 -all"',
    '_dmarc.example.com TXT "v=DMARC1; p=reject"',
    key.zone_line("sel", "example.com"),
    'bank.example TXT "v=spf1 ip4:192.0.2.1 -all"',
    '_dmarc.bank.example TXT "v=DMARC1; p=reject"',
    'shop.example TXT "v=spf1 ip4:192.0.2.1 -all"',
    '_dmarc.shop.example TXT "v=DMARC1; p=quarantine"',
    'author.example TXT "v=spf1 ip4:192.0.2.1 -all"',
    '_dmarc.author.example TXT "v=DMARC1; p=reject"',
    key.zone_line("sel", "author.example"),
]) + "\n" + arc_keys.zone()
dns = harness.start_dns(ZONE)
if dns is None:
    tap.skip_all("test DNS server unavailable: %s" % harness.last_dns_error)
out = harness.outdir("postfix")
# The documented settings (README, Installing): the socket goes to
# dmarcwarden:postfix with mode 0770, the daemon runs as dmarcwarden.
user = ensure_daemon_user()
state = os.path.join(out, "state")
os.makedirs(state)
os.chown(state, user.pw_uid, user.pw_gid)
daemon = harness.Daemon(out, {
    "AuthservID": "mx.test.local",
    "HistoryDB": os.path.join(state, "history.db"),
    "IgnoreNetworks": '""',
    "UserID": "dmarcwarden:postfix",
    "UMask": "007",
    "RunAsRoot": "no",
    "ArcTrustedSealers": "fwd.example",
    "Syslog": "no",
}, dns=dns)
daemon.start()
try:
    pf = PrivatePostfix(domains=["test.local"],
                        milters="unix:" + daemon.socket_path).start()
except PostfixUnavailable as exc:
    tap.skip_all("cannot start Postfix: %s" % exc)

RCPT = ["bob@test.local"]


def message(frm, subject):
    return dkimtest.message(frm=frm, to=RCPT[0], subject=subject)


# p=reject: refused in the SMTP dialogue.
code, text = pf.smtp_send("security@bank.example", RCPT,
                          message("security@bank.example", "spoof"))
tap.is_(code, 550, "p=reject spoof refused with 550 (%s)" % text)
tap.like(text, r"5\.7\.1 .*bank\.example", "reply is 5.7.1 naming the domain")
tap.like(daemon.stderr_text(), r"from=bank\.example .*action=reject",
         "daemon logged the rejection")

# p=quarantine: accepted, then held.
code, text = pf.smtp_send("offers@shop.example", RCPT,
                          message("offers@shop.example", "hold me"))
tap.is_(code, 250, "p=quarantine spoof accepted (%s)" % text)
held_qid = pf.last_queue_id
held = []
for _ in range(50):
    held = pf.hold_queue_ids()
    if held:
        break
    import time
    time.sleep(0.2)
tap.ok(held_qid in held, "quarantined message %s is in the hold queue %r"
       % (held_qid, held))
tap.like(pf.held_message(held_qid) if held_qid in held else "",
         r"dmarc=fail", "held message carries our Authentication-Results")

# Passing, DKIM-signed mail is delivered with our header.
signed = dkimtest.sign(message("alice@example.com", "hello"), key, "sel",
                       "example.com")
code, text = pf.smtp_send("alice@example.com", RCPT, signed)
tap.is_(code, 250, "passing mail accepted (%s)" % text)
paths = pf.wait_delivered(pf.last_queue_id, timeout=15)
body = ""
if paths:
    with open(paths[0], "rb") as fp:
        body = fp.read().decode("utf-8", "replace")
tap.ok(bool(paths), "passing mail delivered")
tap.like(body, r"(?m)^Authentication-Results: mx\.test\.local;",
         "delivered mail has our Authentication-Results")
tap.like(body, r"dkim=pass header\.d=example\.com header\.s=sel",
         "DKIM verified through Postfix (header.d, header.s)")
tap.like(body, r"dmarc=pass .*header\.from=example\.com",
         "DMARC pass recorded")

# Forwarded by fwd.example, which added a footer (breaking the author's
# DKIM signature) and sealed what it saw: delivered on the trusted seal.
SAW = ("spf=pass smtp.mailfrom=author.example; dkim=pass "
       "header.d=author.example; dmarc=pass header.from=author.example")
orig = dkimtest.sign(message("alice@author.example", "forwarded"), key,
                     "sel", "author.example") + b"-- \r\nvia fwd.example\r\n"
sealed = arctest.seal(orig, fwd_seal, "arc", "fwd.example", "fwd.example",
                      cv="none", results=SAW)
code, text = pf.smtp_send("alice@author.example", RCPT, sealed)
tap.is_(code, 250, "forwarded with a trusted ARC seal accepted (%s)" % text)
paths = pf.wait_delivered(pf.last_queue_id, timeout=15)
body = ""
if paths:
    with open(paths[0], "rb") as fp:
        body = fp.read().decode("utf-8", "replace")
tap.ok(bool(paths), "forwarded message with a trusted ARC seal delivered")
tap.like(body, r"arc=pass .*arc\.chain=fwd\.example",
         "delivered copy records arc=pass and the chain")
tap.like(body, r"dmarc=fail .*policy\.applied-disposition=none .*"
         r"policy\.override-reason=local_policy \(trusted ARC sealer "
         r"fwd\.example", "delivered copy says why DMARC fail was delivered")

# The same broken message without a seal, and one sealed by an untrusted
# domain: rejected.
code, text = pf.smtp_send("alice@author.example", RCPT, orig)
tap.is_(code, 550, "spoofed (no ARC) refused with 550 (%s)" % text)
forged = arctest.seal(orig, evil_seal, "arc", "evil.example", "evil.example",
                      cv="none", results=SAW)
code, text = pf.smtp_send("alice@author.example", RCPT, forged)
tap.is_(code, 550, "sealed by an untrusted domain refused with 550 (%s)"
        % text)

pf.stop()
daemon.stop()
tap.done_testing()
