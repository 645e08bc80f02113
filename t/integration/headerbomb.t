#!/usr/bin/python3
"""headerbomb.t - many small header fields cost bounded memory.

Issue 12 item 5.  libopendkim keeps a copy of every header field it is
given (about 95 bytes each): 2,000,000 fields of "X-J: y" cost 190 MB per
message before the fix.  Now at most MaxHeaderFields fields and
MaxHeaderBytes bytes reach DKIM and ARC; past that the message's DKIM
signatures are permerror ("more than N header fields, MaxHeaderFields"
in Authentication-Results) and an ARC chain fails, so DMARC treats the
message like one without valid signatures: a spoof of a p=reject domain
is still rejected, never temperror.

CONC messages (default 20) of HEADERS junk fields each (default 100,000)
are sent at once; the daemon's peak RSS (VmHWM) must stay under 64 MB
(the old code: about CONC * HEADERS * 95 bytes).  HEADERBOMB_CONC and
HEADERBOMB_HEADERS in the environment scale it (100 x 2,000,000 is the
issue's figure; minutes of CPU, not for make check).  The RSS check is
skipped in the ASan build (its shadow memory and quarantine).
"""

import os
import struct
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import dkimtest  # noqa: E402
import harness  # noqa: E402
import milterclient as mc  # noqa: E402
import tap  # noqa: E402

GOOD_IP = "192.0.2.10"
BAD_IP = "198.51.100.66"
CONC = int(os.environ.get("HEADERBOMB_CONC", "20"))
HEADERS = int(os.environ.get("HEADERBOMB_HEADERS", "100000"))

harness.require_daemon()
key = dkimtest.Key.rsa(2048)
dns = harness.start_dns("\n".join([
    'victim.example TXT "v=spf1 ip4:%s -all"' % GOOD_IP,
    '_dmarc.victim.example TXT "v=DMARC1; p=reject"',
    key.zone_line("sel", "victim.example"),
]))
if dns is None:
    tap.skip_all("test DNS server unavailable: %s" % harness.last_dns_error)
out = harness.outdir("headerbomb")
d = harness.Daemon(out, {"IgnoreNetworks": "\"\"", "Syslog": "no"}, dns=dns)
d.start()

# The junk fields as one blob of SMFIC_HEADER packets (the daemon asks for
# no replies to headers, SMFIP_NR_HDR), sent with one sendall().
JUNK = struct.pack("!I", 8) + mc.SMFIC_HEADER + b"X-J\0 y\0"
BLOB = JUNK * HEADERS


def authres(r):
    return r.header_value("Authentication-Results") or ""


def bomb(ip, arc=False):
    """A DKIM-signed message from victim.example with HEADERS junk fields
    after its own; -> Result of eom."""
    msg = dkimtest.sign(dkimtest.message(frm="ceo@victim.example",
                                         to="bob@mx.test.local"),
                        key, "sel", "victim.example")
    headers, body = mc.parse_message(msg)
    if arc:
        headers.insert(0, ("ARC-Seal", " i=1; a=rsa-sha256; cv=none; "
                           "d=victim.example; s=sel; b=AAAA"))
    c = mc.MilterClient(d.socket_spec,
                        timeout=300 + CONC * HEADERS // 20000)
    c.open()
    try:
        c.connect("[%s]" % ip, "4", 54321, ip, mc.connect_macros(ip))
        c.helo("mail.example")
        c.mail("ceo@victim.example")
        c.rcpt("bob@mx.test.local")
        c.data({"i": "BOMB%d" % threading.get_ident()})
        for name, value in headers:
            c.header(name, value)
        if not c.wants(mc.SMFIP_NR_HDR):
            raise mc.MilterError("daemon wants replies to headers")
        c.sock.sendall(BLOB)
        c.eoh()
        c.body(body)
        return c.eom()
    finally:
        c.quit()


r = bomb(BAD_IP)
ar = authres(r)
tap.is_(r.action, "reject", "signed message with %d junk fields from an "
        "address SPF refuses: DKIM not evaluated, rejected (p=reject)"
        % HEADERS)
tap.like(ar, r"dkim=permerror \(more than \d+ header fields, "
         r"MaxHeaderFields\) header\.d=victim\.example",
         "A-R: dkim=permerror naming the header limit")
tap.like(ar, r"dmarc=fail", "dmarc=fail, not temperror")
r = bomb(GOOD_IP, arc=True)
ar = authres(r)
tap.like(ar, r"spf=pass", "from the domain's own address: spf=pass")
tap.like(ar, r"dmarc=pass", "... dmarc=pass on aligned SPF")
tap.like(ar, r"arc=fail \(more than \d+ header fields, MaxHeaderFields\)",
         "an ARC set in a message over the limit: arc=fail naming the limit")
tap.is_(r.action, "accept", "... accepted")

# Few but large fields: the byte limit.
big = dkimtest.sign(dkimtest.message(
    frm="ceo@victim.example", to="bob@mx.test.local",
    extra_headers=["X-Big-%d: %s" % (i, "z" * 1000) for i in range(300)]),
    key, "sel", "victim.example")
r = mc.send_message(d.socket_spec, BAD_IP, "mail.example",
                    "ceo@victim.example", ["bob@mx.test.local"], big,
                    timeout=60)
tap.like(authres(r), r"dkim=permerror \(header fields over 262144 bytes, "
         r"MaxHeaderBytes\)", "300 fields of 1000 bytes: dkim=permerror "
         "naming MaxHeaderBytes")
tap.is_(r.action, "reject", "... rejected")

results = []


def one():
    try:
        results.append(bomb(BAD_IP).action)
    except Exception as exc:  # noqa: BLE001 - counted below
        results.append("error: %s" % exc)


threads = [threading.Thread(target=one) for _ in range(CONC)]
for t in threads:
    t.start()
for t in threads:
    t.join(600)
tap.is_(sorted(set(results)), ["reject"],
        "%d concurrent messages of %d junk fields: all rejected"
        % (CONC, HEADERS))


def status_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


peak = status_kb(d.pid(), "VmHWM")
tap.diag("daemon peak RSS %d KB (%d x %d header fields)"
         % (peak, CONC, HEADERS))
if harness.asan_build():
    tap.skip("ASan build: shadow memory and quarantine inflate RSS", 1)
else:
    tap.ok(0 < peak < 64 * 1024, "daemon peak RSS %d KB < 64 MB" % peak)

tap.ok(d.running(), "daemon still running")
tap.is_(d.stop(), 0, "daemon stops cleanly")
tap.unlike(d.stderr_text(), r"Sanitizer|runtime error", "no sanitizer report")
sys.exit(tap.done_testing())
