#!/usr/bin/python3
"""dkimselect.t - issue 12 item 8, against the real daemon.

l=: a message signed with l= by a p=reject domain, with text appended
after the signed part, sent from an address its SPF refuses.  By default
(DKIMTrustLengthTag no) the signature is dkim=policy ("unsigned content
after l=N" in Authentication-Results), DMARC fails and the message is
rejected; the same message without the tail passes.  With
DKIMTrustLengthTag yes the appended message passes (the old behaviour).

MaximumSignatures 1: three signatures of another domain on top of the
From domain's own; the aligned one is verified and DMARC passes.

MilterTimeout 5: a milter connection whose MTA stalls in the middle of a
command is closed after 5 s (libmilter's default is 7210 s; before the
fix the old daemon kept it open past the test's 30 s).
"""

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import dkimtest  # noqa: E402
import harness  # noqa: E402
import milterclient as mc  # noqa: E402
import tap  # noqa: E402

BAD_IP = "198.51.100.66"
RCPT = ["bob@mx.test.local"]

harness.require_daemon()
key = dkimtest.Key.rsa(2048)
other = dkimtest.Key.rsa(1024)
dns = harness.start_dns("\n".join([
    'victim.example TXT "v=spf1 ip4:192.0.2.10 -all"',
    '_dmarc.victim.example TXT "v=DMARC1; p=reject"',
    key.zone_line("sel", "victim.example"),
    other.zone_line("o", "other.example"),
]))
if dns is None:
    tap.skip_all("test DNS server unavailable: %s" % harness.last_dns_error)
out = harness.outdir("dkimselect")


def daemon(name, extra):
    conf = {"IgnoreNetworks": "\"\"", "Syslog": "no"}
    conf.update(extra)
    d = harness.Daemon(out, conf, dns=dns, name=name)
    d.start()
    return d


def authres(r):
    return r.header_value("Authentication-Results") or ""


def send(d, msg):
    return mc.send_message(d.socket_spec, BAD_IP, "mail.example",
                           "ceo@victim.example", RCPT, msg, timeout=30)


strict = daemon("strict", {"MaximumSignatures": 1, "MilterTimeout": 5})
lenient = daemon("lenient", {"DKIMTrustLengthTag": "yes"})

base = dkimtest.message(frm="ceo@victim.example", to=RCPT[0],
                        body="Please pay invoice 1.\n")
signed = dkimtest.sign(base, key, "sel", "victim.example", length=True)
tail = b"\r\nUPDATE: pay to account 666 instead.\r\n"

r = send(strict, signed)
tap.like(authres(r), r"dkim=pass", "l= covering the whole body: dkim=pass")
tap.is_(r.action, "accept", "... accepted (dmarc=pass on DKIM)")
r = send(strict, signed + tail)
ar = authres(r)
tap.like(ar, r"dkim=policy \(unsigned content after l=\d+\) "
         r"header\.d=victim\.example", "appended text: dkim=policy with "
         "the reason")
tap.like(ar, r"dmarc=fail", "... dmarc=fail")
tap.is_(r.action, "reject", "... rejected (p=reject)")
r = send(lenient, signed + tail)
tap.like(authres(r), r"dkim=pass", "DKIMTrustLengthTag yes: dkim=pass")
tap.is_(r.action, "accept", "DKIMTrustLengthTag yes: accepted")

m = dkimtest.sign(base, key, "sel", "victim.example")
for _ in range(3):
    m = dkimtest.sign(m, other, "o", "other.example")
r = send(strict, m)
ar = authres(r)
tap.like(ar, r"dkim=pass [^;]*header\.d=victim\.example",
         "MaximumSignatures 1 behind three other.example signatures: the "
         "aligned one is verified")
tap.like(ar, r"dmarc=pass", "... dmarc=pass")
tap.is_(r.action, "accept", "... accepted")

# An MTA that stalls in the middle of a command: half an option
# negotiation.  (A connection silent between commands is swept by
# libmilter's workers pool only every 600 s, too long for a test.)
s = socket.socket(socket.AF_UNIX)
s.connect(strict.socket_path)
s.settimeout(30)
s.sendall(struct.pack("!I", 13) + mc.SMFIC_OPTNEG + b"\0\0")
t0 = time.time()
try:
    data = s.recv(1)
except OSError as exc:
    data = "no close: %s" % exc
took = time.time() - t0
s.close()
tap.is_(data, b"", "MilterTimeout 5: a connection stalled mid-command is "
        "closed")
tap.ok(took < 15, "... after %.1f s (libmilter's default: 7210 s)" % took)

for d in (strict, lenient):
    tap.ok(d.running(), "%s daemon still running" % d.name)
    tap.is_(d.stop(), 0, "%s daemon stops cleanly" % d.name)
    tap.unlike(d.stderr_text(), r"Sanitizer|runtime error",
               "%s: no sanitizer report" % d.name)
sys.exit(tap.done_testing())
