#!/usr/bin/python3
"""dnsstarve.t - one domain's dead DNS must not change another's result.

Issue 12 item 1.  150 concurrent messages from domains whose DNS never
answers (the test DNS's TIMEOUT, for every name under slow.example) keep
the daemon's resolver busy while spoofs of a p=reject domain arrive from
an unauthorised address and its legitimate mail (SPF pass, aligned DKIM)
arrives from its own.  The spoofs must still be rejected and the
legitimate mail accepted, during the flood and right after it (before the
fix, libunbound marked the one forwarder down after the flood's time-outs
and answered SERVFAIL to everything for about a minute: the spoofs became
dmarc=temperror and were accepted).

Then a second daemon with two forwarders, the first one silent: answers
come from the second.  And the cache of recently seen policies: once
victim.example's p=reject has been seen, its _dmarc record starts timing
out; a spoof still gets p=reject applied (dmarc=fail, "policy from cache"
in A-R) and is rejected.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import dkimtest  # noqa: E402
from dnslib import DNSRecord  # noqa: E402
import harness  # noqa: E402
import milterclient  # noqa: E402
import tap  # noqa: E402

GOOD_IP = "192.0.2.10"
BAD_IP = "198.51.100.66"
RCPT = ["bob@mx.test.local"]
FLOOD = 150

harness.require_daemon()
key = dkimtest.Key.rsa(2048)

BASE_ZONE = [
    'victim.example TXT "v=spf1 ip4:%s -all"' % GOOD_IP,
    '_dmarc.victim.example TXT "v=DMARC1; p=reject"',
    key.zone_line("sel", "victim.example"),
    '*.slow.example TIMEOUT',
]
out = harness.outdir("dnsstarve")
ZONE = os.path.join(out, "zone")


class SeparateDNS(object):
    """t/lib/testdns.py in its own process, so that the 150 client
    threads of this script do not slow its answers down (the GIL)."""

    def __init__(self, text):
        self.set_zone(text)
        pf = os.path.join(out, "dns.port")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(harness.LIB, "testdns.py"),
             "--zone", ZONE, "--port-file", pf], start_new_session=True)
        harness.at_cleanup(lambda: harness.stop_process(self.proc, 3))
        deadline = time.time() + 10
        while not os.path.exists(pf) and time.time() < deadline:
            time.sleep(0.05)
        with open(pf) as fp:
            self.port = int(fp.read())

    def set_zone(self, text):
        with open(ZONE + ".tmp", "w") as fp:
            fp.write(text)
        os.rename(ZONE + ".tmp", ZONE)
        if getattr(self, "proc", None):
            self.proc.send_signal(signal.SIGHUP)


dns = SeparateDNS("\n".join(BASE_ZONE))
# No policy cache for the flood: the results must come from DNS.
d = harness.Daemon(out, {
    "DNSTimeout": 3,
    "PolicyCacheTime": 0,
    "IgnoreNetworks": "\"\"",
    "Syslog": "no",
}, dns=dns)
d.start()


def authres(r):
    return r.header_value("Authentication-Results") or ""


def send(frm, ip, sign=False, timeout=60, daemon=None):
    msg = dkimtest.message(frm=frm, to=RCPT[0])
    if sign:
        msg = dkimtest.sign(msg, key, "sel", "victim.example")
    return milterclient.send_message((daemon or d).socket_spec, ip,
                                     "mail.example", frm, RCPT, msg,
                                     timeout=timeout)


results = {}


def flood_one(i):
    try:
        r = send("x@d%d.slow.example" % i, BAD_IP)
        results[i] = r.action
    except Exception as exc:  # noqa: BLE001 - counted below
        results[i] = "error: %s" % exc


threads = [threading.Thread(target=flood_one, args=(i,))
           for i in range(FLOOD)]
for t in threads:
    t.start()
# Only the flood's time-outs for a while: nothing answered resets the
# resolver's view of the forwarder (unbound backs its timer off per
# time-out, then lets one probe at a time through).
time.sleep(5.0)

spoofs, legit = [], []
t_end = time.time() + 8  # during the flood and after its time-outs
while time.time() < t_end:
    r = send("ceo@victim.example", BAD_IP)
    spoofs.append((r.action, authres(r)))
    r = send("ceo@victim.example", GOOD_IP, sign=True)
    legit.append((r.action, authres(r)))
    time.sleep(0.3)
for t in threads:
    t.join(120)

bad_spoofs = [s for s in spoofs if s[0] != "reject"]
tap.ok(len(spoofs) >= 5, "%d spoofs sent during and after the flood"
       % len(spoofs))
tap.is_(len(bad_spoofs), 0, "every spoof of the p=reject domain rejected "
        "while %d domains time out" % FLOOD)
if bad_spoofs:
    tap.diag("first spoof not rejected: %r" % (bad_spoofs[0],))
bad_legit = [s for s in legit if s[0] != "accept" or
             "dmarc=pass" not in s[1]]
tap.is_(len(bad_legit), 0, "every legitimate message accepted with "
        "dmarc=pass")
if bad_legit:
    tap.diag("first legitimate message not passed: %r" % (bad_legit[0],))
tap.is_(sorted(set(results.values())), ["accept"],
        "the %d timing-out domains: temperror, accepted (TempErrorAction "
        "accept)" % FLOOD)
tap.is_(len(results), FLOOD, "every flood message answered")

tap.ok(d.running(), "daemon still running")
tap.is_(d.stop(), 0, "daemon stops cleanly")
tap.unlike(d.stderr_text(), r"Sanitizer|runtime error", "no sanitizer report")

# ---- two forwarders, the first silent; then the victim's DNS goes quiet ----
silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
silent.bind(("127.0.0.1", 0))       # receives queries, never answers
harness.at_cleanup(silent.close)
d2 = harness.Daemon(out, {
    "DNSTimeout": 3,
    "Nameservers": "127.0.0.1@%d, 127.0.0.1@%d"
                   % (silent.getsockname()[1], dns.port),
    "IgnoreNetworks": "\"\"",
    "Syslog": "no",
}, name="cached")
d2.start()
t0 = time.time()
r = send("ceo@victim.example", BAD_IP, daemon=d2)
took = time.time() - t0
tap.is_(r.action, "reject", "first forwarder silent: the second one answers, "
        "spoof rejected")
tap.ok(took < 8, "first forwarder silent: answered in %.1f s" % took)
r = send("ceo@victim.example", GOOD_IP, sign=True, daemon=d2)
tap.like(authres(r), r"dmarc=pass", "first forwarder silent: legitimate mail "
         "passes")
dns.set_zone("\n".join(BASE_ZONE[:1] + BASE_ZONE[2:] +
                       ['_dmarc.victim.example TIMEOUT']))


def dmarc_answered():
    """Does the test DNS still answer _dmarc.victim.example?"""
    q = DNSRecord.question("_dmarc.victim.example", "TXT").pack()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    try:
        s.sendto(q, ("127.0.0.1", dns.port))
        s.recv(4096)
        return True
    except OSError:
        return False
    finally:
        s.close()


deadline = time.time() + 20     # the zone reload (SIGHUP) under load
while dmarc_answered() and time.time() < deadline:
    time.sleep(0.2)
time.sleep(1.5)         # the test DNS's TTL of 1 s runs out everywhere
r = send("ceo@victim.example", BAD_IP, daemon=d2)
ar = authres(r)
tap.is_(r.action, "reject", "victim's _dmarc times out: the recently seen "
        "p=reject still applies")
tap.like(ar, r"dmarc=fail", "victim's _dmarc times out: dmarc=fail")
tap.like(ar, r"policy from cache", "A-R says the policy came from the cache")
r = send("ceo@victim.example", GOOD_IP, sign=True, daemon=d2)
tap.is_(r.action, "accept", "victim's _dmarc times out: legitimate mail "
        "still accepted")
tap.like(authres(r), r"dmarc=pass", "... with dmarc=pass")
r = send("x@never.slow.example", BAD_IP, daemon=d2)
tap.like(authres(r), r"dmarc=temperror", "a domain never seen: temperror")

tap.ok(d2.running(), "second daemon still running")
tap.is_(d2.stop(), 0, "second daemon stops cleanly")
tap.unlike(d2.stderr_text(), r"Sanitizer|runtime error",
           "second daemon: no sanitizer report")
sys.exit(tap.done_testing())
