#!/usr/bin/python3
"""hostile.t - the real daemon fed hostile messages over the milter
protocol: each gets a defined result (an action, and an
Authentication-Results header when it was evaluated), and after each the
daemon is still alive and still evaluates a normal message correctly.

Cases: no From; 100 From headers; a 60 KB and a 1 MB header line; NUL
bytes and 8-bit garbage in headers; invalid UTF-8 and malformed encoded
words; 500 DKIM-Signature headers (bounded work: MaximumSignatures key
lookups at most, in bounded time); an ARC chain of 51 sets; DKIM keys of
16384 bits and of garbage base64; a DMARC record of 64 KB; recursive SPF
includes and void-lookup abuse; SMTP sessions aborted and dropped
mid-body; 2000 messages on one connection (with the daemon's memory
measured before and after).  At the end the daemon stops cleanly and its
stderr holds no sanitizer report (this test runs in the ASan pass too).
"""

import base64
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import dkimtest  # noqa: E402
import harness  # noqa: E402
import milterclient  # noqa: E402
import tap  # noqa: E402
from milterclient import (SMFIC_BODY, SMFIC_HEADER,  # noqa: E402
                          MilterClient, MilterError)

GOOD_IP = "192.0.2.10"
BAD_IP = "198.51.100.66"
RCPT = ["bob@mx.test.local"]
MAX_SIGS = 5

harness.require_daemon()
key = dkimtest.Key.rsa(2048)


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def der_int(v):
    b = v.to_bytes((v.bit_length() + 8) // 8, "big")
    return der(0x02, b)


def huge_rsa_key(bits):
    """SubjectPublicKeyInfo of an RSA key with a `bits`-bit modulus (no
    private half: nothing can sign with it, which is the point)."""
    n = (1 << (bits - 1)) | int.from_bytes(os.urandom(bits // 8), "big") | 1
    n &= (1 << bits) - 1
    rsa_oid = bytes.fromhex("06092a864886f70d010101") + b"\x05\x00"
    pub = der(0x30, der_int(n) + der_int(65537))
    spki = der(0x30, der(0x30, rsa_oid) + der(0x03, b"\x00" + pub))
    return base64.b64encode(spki).decode()


BIG_DMARC = "v=DMARC1; p=reject; " + "x=" + "y" * 64000
ZONE = "\n".join([
    'example.com TXT "v=spf1 ip4:%s -all"' % GOOD_IP,
    '_dmarc.example.com TXT "v=DMARC1; p=reject"',
    key.zone_line("sel", "example.com"),
    dkimtest.txt_line("huge._domainkey.example.com",
                      "v=DKIM1; k=rsa; p=" + huge_rsa_key(16384)),
    dkimtest.txt_line("garbage._domainkey.example.com",
                      "v=DKIM1; k=rsa; p=!!!notbase64@@@===="),
    dkimtest.txt_line("_dmarc.big.example", BIG_DMARC),
    'big.example TXT "v=spf1 ip4:%s -all"' % GOOD_IP,
    'loop.example TXT "v=spf1 include:loop2.example -all"',
    'loop2.example TXT "v=spf1 include:loop.example -all"',
    '_dmarc.loop.example TXT "v=DMARC1; p=reject"',
    'void.example TXT "v=spf1 a:n1.void.example a:n2.void.example '
    'a:n3.void.example a:n4.void.example ip4:%s -all"' % GOOD_IP,
    '_dmarc.void.example TXT "v=DMARC1; p=reject"',
])

dns = harness.start_dns(ZONE)
if dns is None:
    tap.skip_all("test DNS server unavailable: %s" % harness.last_dns_error)
out = harness.outdir("hostile")
daemon = harness.Daemon(out, {
    "AuthservID": "mx.test.local",
    "HistoryDB": os.path.join(out, "history.db"),
    "DNSTimeout": 2,
    "MaximumSignatures": MAX_SIGS,
    # the 500 DKIM-Signature headers below are ~280 KB, past the default
    # MaxHeaderBytes (which would leave DKIM unevaluated, headerbomb.t)
    "MaxHeaderBytes": 1048576,
    "IgnoreNetworks": "\"\"",
    "Syslog": "no",
}, dns=dns)
daemon.start()


def authres(r):
    vals = [v for (_i, n, v) in r.headers_inserted
            if n.lower() == "authentication-results"]
    return vals[0] if vals else ""


def send(msg, ip=GOOD_IP, mailfrom="alice@example.com", helo="mail.example",
         timeout=30.0):
    return milterclient.send_message(daemon.socket_spec, ip, helo, mailfrom,
                                     RCPT, msg, timeout=timeout)


def alive(name):
    """The daemon runs and still gets a normal message right."""
    ok = daemon.running()
    if ok:
        try:
            r = send(dkimtest.message(frm="alice@example.com", to=RCPT[0]))
            ok = r.action == "accept" and "dmarc=pass" in authres(r)
        except (MilterError, OSError) as exc:
            tap.diag("%s: canary failed: %s" % (name, exc))
            ok = False
    tap.ok(ok, "%s: daemon alive and still evaluating" % name)


def case(name, action, ar_patterns=(), **kw):
    """Send one message; check its action and A-R; then the canary."""
    msg = kw.pop("msg")
    t0 = time.time()
    try:
        r = send(msg, **kw)
    except (MilterError, OSError) as exc:
        tap.ok(False, "%s: got an answer (%s)" % (name, exc))
        alive(name)
        return None, 0
    took = time.time() - t0
    tap.is_(r.action, action, "%s: action %s" % (name, action))
    ar = authres(r)
    for pat in ar_patterns:
        tap.like(ar, pat, "%s: %s" % (name, pat))
    alive(name)
    return r, took


def session():
    c = MilterClient(daemon.socket_spec, timeout=30.0)
    c.open()
    c.connect("[%s]" % GOOD_IP, "4", 54321, GOOD_IP,
              milterclient.connect_macros(GOOD_IP))
    c.helo("mail.example")
    return c


def start_message(c, qid):
    c.mail("<alice@example.com>")
    c.rcpt("<%s>" % RCPT[0])
    c.data({"i": qid})


def raw_header(c, name, value):
    """A header packet with raw bytes (NUL included), as libmilter's peer
    could send it."""
    return c.event(SMFIC_HEADER, name + b"\0" + value + b"\0")


def msg(frm="alice@example.com", extra=(), body="Hello.\n"):
    return dkimtest.message(frm=frm, to=RCPT[0], body=body,
                            extra_headers=list(extra))


# ---- From abuse --------------------------------------------------------
case("no From", "reject", msg=b"To: bob@mx.test.local\r\nSubject: x\r\n\r\nhi\r\n")
hundred = "".join("From: user%d@example%d.com\r\n" % (i, i)
                  for i in range(100))
case("100 From headers", "reject",
     msg=(hundred + "Subject: x\r\n\r\nhi\r\n").encode())
case("100 From headers of one domain", "reject",
     msg=("".join("From: u%d@example.com\r\n" % i for i in range(100)) +
          "Subject: x\r\n\r\nhi\r\n").encode())
case("60 KB From header", "reject",
     msg=("From: " + "a" * 60000 + "@example.com\r\nSubject: x\r\n\r\nhi\r\n")
     .encode())
case("60 KB Subject header", "accept", [r"dmarc=pass"],
     msg=msg(extra=["Subject2: " + "s" * 60000]))

# A 1 MB header line is more than libmilter accepts in one packet; the
# daemon must drop that connection alone and live on.
try:
    r = send(msg(extra=["X-Big: " + "b" * (1024 * 1024)]))
    tap.ok(r.action in ("accept", "tempfail", "reject"),
           "1 MB header line: defined result (%s)" % r.action)
except (MilterError, OSError) as exc:
    tap.ok(True, "1 MB header line: connection dropped (%s)" % exc)
alive("1 MB header line")

# ---- bytes -------------------------------------------------------------
c = session()
start_message(c, "NULQID1")
raw_header(c, b"From", b" alice@exa\0mple.com")
raw_header(c, b"Subject", b" \xff\xfe\x00\x01\x02\x1b[31m")
raw_header(c, b"X-\xff\xfe", b" \x80\x81\x82\x83")
c.eoh()
c.event(SMFIC_BODY, b"body\0with NUL\r\n\xff\r\n")
r = c.eom({"i": "NULQID1"})
tap.ok(r.action in ("accept", "reject"),
       "NUL bytes and 8-bit garbage in headers: defined result (%s)"
       % r.action)
tap.like(authres(r), r"^ mx\.test\.local;", "NUL bytes: our A-R header")
c.close()
alive("NUL bytes and 8-bit garbage")

case("8-bit garbage in the From display name", "accept", [r"dmarc=pass"],
     msg=b"From: \xff\xfe\x80 <alice@example.com>\r\nSubject: x\r\n\r\nhi\r\n")
case("invalid UTF-8 in the From domain", "reject",
     msg=b"From: <alice@exa\xc3\x28mple.com>\r\nSubject: x\r\n\r\nhi\r\n")
case("overlong UTF-8 in the From local part", "reject",
     msg=b"From: <al\xc0\xafice@example.com>\r\nSubject: x\r\n\r\nhi\r\n")
# An unterminated encoded word holding "@" before the real address: the
# From is ambiguous, so it is refused (BadFromAction reject).
case("malformed encoded word hiding an address", "reject",
     msg=b"From: =?utf-8?q?ceo@bank.example <alice@example.com>\r\n"
         b"Subject: =?utf-8?b?!!!?= =?x?q?=ZZ?=\r\n\r\nhi\r\n")
case("encoded word as the address", "reject",
     msg=b"From: =?utf-8?q?ceo=40bank.example?=\r\nSubject: x\r\n\r\nhi\r\n")
case("bare CR and control bytes in From", "reject",
     msg=b"From: alice@example.com\rBcc: x@y\x07\r\nSubject: x\r\n\r\nhi\r\n")

# ---- DKIM --------------------------------------------------------------
signed = dkimtest.sign(msg(), key, "sel", "example.com")
sig_line = signed.split(b"\r\n\r\n", 1)[0]
sig_hdr, rest_hdrs = sig_line.split(b"\r\nFrom:", 1)
many = b"".join(re.sub(rb"s=sel;", b"s=s%d;" % i, sig_hdr) + b"\r\n"
                for i in range(500))
many_msg = many + b"From:" + rest_hdrs + b"\r\n\r\n" + \
    signed.split(b"\r\n\r\n", 1)[1]
del dns.queries[:]
r, took = case("500 DKIM-Signature headers", "accept", [r"dmarc=pass"],
               msg=many_msg)
if r is not None:
    ar = authres(r)
    tap.ok(len(re.findall(r"dkim=", ar)) <= 32,
           "500 signatures: at most 32 listed (%d)"
           % len(re.findall(r"dkim=", ar)))
    keyq = set(q[0].lower() for q in dns.queries if "_domainkey" in q[0])
    tap.ok(0 < len(keyq) <= MAX_SIGS,
           "500 signatures: %d key lookups (MaximumSignatures %d)"
           % (len(keyq), MAX_SIGS))
    tap.ok(took < 15, "500 signatures: answered in %.1f s" % took)

case("DKIM key of 16384 bits", "accept",
     [r"dkim=(fail|permerror)[^;]*header\.s=huge", r"dmarc=pass"],
     msg=dkimtest.sign(msg(), key, "huge", "example.com"))
case("DKIM key of garbage base64", "accept",
     [r"dkim=permerror[^;]*header\.s=garbage", r"dmarc=pass"],
     msg=dkimtest.sign(msg(), key, "garbage", "example.com"))
case("DKIM-Signature of garbage", "accept", [r"dkim=permerror", r"dmarc=pass"],
     msg=msg(extra=["DKIM-Signature: v=1; a=\xff; d==; s=;;;; b=%%%; "
                    "bh=" + "A" * 5000]))

# ---- ARC ---------------------------------------------------------------
arc = []
for i in range(51, 0, -1):
    arc += ["ARC-Seal: i=%d; a=rsa-sha256; cv=%s; d=example.com; s=sel; "
            "t=1700000000; b=AAAA" % (i, "none" if i == 1 else "pass"),
            "ARC-Message-Signature: i=%d; a=rsa-sha256; c=relaxed/relaxed; "
            "d=example.com; s=sel; h=from; bh=AAAA; b=AAAA" % i,
            "ARC-Authentication-Results: i=%d; mx%d.example; spf=pass" % (i, i)]
case("ARC chain of 51 sets", "accept", [r"arc=fail", r"dmarc=pass"],
     msg=msg(extra=arc))

# ---- DNS records -------------------------------------------------------
# RFC 9989: a record that cannot be used is no policy (dmarc=none); the
# parser refuses past DMARC_RECORD_MAX_LEN and says so in the log.
r, took = case("DMARC record of 64 KB", "accept", [r"dmarc=none"],
               msg=msg(frm="a@big.example"), mailfrom="a@big.example")
tap.like(daemon.stderr_text(), r"_dmarc\.big\.example ignored: record too "
         r"long \(\d+ bytes, limit 8192\)", "DMARC record of 64 KB: logged")
case("recursive SPF includes", "reject",
     [r"spf=permerror", r"dmarc=fail"],
     msg=msg(frm="a@loop.example"), mailfrom="a@loop.example")
case("SPF void-lookup abuse", "reject",
     [r"spf=permerror", r"dmarc=fail"],
     msg=msg(frm="a@void.example"), mailfrom="a@void.example")

# ---- sessions ----------------------------------------------------------
c = session()
start_message(c, "ABORTQID1")
for name, value in milterclient.parse_message(msg())[0]:
    c.header(name, value)
c.eoh()
c.event(SMFIC_BODY, b"half a bo")
c.abort()
r = c.message("<alice@example.com>", RCPT, msg())
tap.is_(r.action, "accept", "message after an abort mid-body: accepted")
tap.like(authres(r), r"dmarc=pass", "message after an abort: evaluated")
c.close()
alive("SMTP session aborted mid-body")

c = session()
start_message(c, "DROPQID1")
for name, value in milterclient.parse_message(msg())[0]:
    c.header(name, value)
c.eoh()
c.event(SMFIC_BODY, b"half a bo")
c.sock.close()      # the MTA vanishes mid-body
c.sock = None
time.sleep(0.2)
alive("connection dropped mid-body")


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


N = 2000
c = session()
good = 0
rss0 = 0
t0 = time.time()
try:
    for i in range(N):
        if i == 200:
            rss0 = rss_kb(daemon.pid())
        m = msg(frm="alice@example.com" if i % 2 else "x@spoof%d.example" % i,
                body="message %d\n" % i)
        r = c.message("<alice@example.com>", RCPT, m, qid="Q%06d" % i)
        ar = authres(r)
        if r.action == "accept" and re.search(r"dmarc=(pass|none)", ar):
            good += 1
except (MilterError, OSError) as exc:
    tap.diag("message %d: %s" % (i, exc))
took = time.time() - t0
c.close()
rss1 = rss_kb(daemon.pid())
tap.is_(good, N, "%d messages on one connection: each evaluated (%.1f s)"
        % (N, took))
if harness.asan_build():
    tap.skip("ASan build: its quarantine holds freed memory; LeakSanitizer "
             "checks for leaks at exit instead")
else:
    tap.ok(rss1 - rss0 < 16 * 1024, "memory after %d more messages: "
           "%d KB -> %d KB" % (N - 200, rss0, rss1))
alive("thousands of messages on one connection")

status = daemon.stop()
tap.is_(status, 0, "daemon stops cleanly on SIGTERM")
err = daemon.stderr_text()
tap.unlike(err, r"Sanitizer|runtime error|LeakSanitizer",
           "no sanitizer report in the daemon's stderr")
sys.exit(tap.done_testing())
