#!/usr/bin/python3
"""dnsfaults.t - DNS that misbehaves on purpose, against the real daemon.

Two daemons share one test DNS: one with TempErrorAction accept (the
default), one with TempErrorAction tempfail; DNSTimeout 1.  For each fault
the test checks the RFC-defined result in Authentication-Results, the
configured action, and the reason in the daemon's log line:

  timeout, SERVFAIL, REFUSED, an answer slower than DNSTimeout -> DMARC
  temperror (RFC 9989: the policy cannot be learned), accept or 451 4.7.5;
  a slow answer within the timeout -> evaluated normally;
  answers longer than 512 bytes (UDP truncated, TC) -> retried over TCP,
  evaluated normally; a TXT RDATA whose length octets run past its end,
  and a CNAME loop -> temperror;
  20 TXT records at _dmarc with one DMARC record -> evaluated; 40 (more
  than the 32 kept, so uniqueness cannot be told) -> no policy;
  SPF record lookup failing -> spf=temperror (RFC 7208 2.6.6), DMARC
  still passes on an aligned DKIM signature, and without one is
  temperror (TempErrorAction); DKIM key lookup failing or
  timing out -> dkim=temperror (RFC 6376 3.9), DMARC passes on SPF;
  an SPF syntax error -> spf=permerror (RFC 7208 2.6.7).

DNSSEC validation (`DNSSEC yes`, a signed zone served by nsd, a bogus
signature) is the last part; it is skipped when nsd or ldns-signzone is
missing.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import dkimtest  # noqa: E402
import harness  # noqa: E402
import milterclient  # noqa: E402
import tap  # noqa: E402

GOOD_IP = "192.0.2.10"
BAD_IP = "198.51.100.66"
RCPT = ["bob@mx.test.local"]

harness.require_daemon()
key = dkimtest.Key.rsa(2048)


def dmarc(domain, text="v=DMARC1; p=reject"):
    return '_dmarc.%s TXT "%s"' % (domain, text)


LONG_RUA = ",".join("mailto:rua%d@big.example" % i for i in range(30))
zone = [
    'example.com TXT "v=spf1 ip4:%s -all"' % GOOD_IP,
    dmarc("example.com"),
    key.zone_line("sel", "example.com"),
    '_dmarc.timeout.example TIMEOUT',
    '_dmarc.servfail.example SERVFAIL',
    '_dmarc.refused.example REFUSED',
    '_dmarc.slow.example DELAY 2500',
    'slow.example TXT "v=spf1 -all"',
    '_dmarc.slowok.example DELAY 150',
    dmarc("big.example", "v=DMARC1; p=reject; rua=" + LONG_RUA),
    '_dmarc.rawbad.example RAW TXT 0a41424344',
    '_dmarc.cloop.example CNAME _dmarc.cloop2.example',
    '_dmarc.cloop2.example CNAME _dmarc.cloop.example',
    'spftemp.example SERVFAIL',
    dmarc("spftemp.example"),
    key.zone_line("sel", "spftemp.example"),
    'keyfail._domainkey.example.com SERVFAIL',
    'keyslow._domainkey.example.com TIMEOUT',
    'spfbad.example TXT "v=spf1 ip4:%s -all."' % GOOD_IP,
    dmarc("spfbad.example"),
]
zone += ['_dmarc.slowok.example TXT "v=DMARC1; p=reject"']
zone += ['_dmarc.many20.example TXT "junk %d"' % i for i in range(20)]
zone += [dmarc("many20.example")]
zone += ['_dmarc.many40.example TXT "junk %d %s"' % (i, "x" * 20)
         for i in range(40)]
zone += [dmarc("many40.example")]

dns = harness.start_dns("\n".join(zone))
if dns is None:
    tap.skip_all("test DNS server unavailable: %s" % harness.last_dns_error)
out = harness.outdir("dnsfaults")


def start(name, action):
    d = harness.Daemon(out, {
        "AuthservID": "mx.test.local",
        "HistoryDB": os.path.join(out, name + ".db"),
        "DNSTimeout": 1,
        "TempErrorAction": action,
        "IgnoreNetworks": "\"\"",
        "Syslog": "no",
    }, dns=dns, name=name)
    d.start()
    return d


accepting = start("accept", "accept")
tempfailing = start("tempfail", "tempfail")


def authres(r):
    vals = [v for (_i, n, v) in r.headers_inserted
            if n.lower() == "authentication-results"]
    return vals[0] if vals else ""


def logline(d, qid):
    for _ in range(20):
        for line in d.stderr_text().splitlines():
            if (" %s: " % qid) in line:
                return line
        time.sleep(0.05)
    return ""


def send(d, frm, mailfrom=None, ip=BAD_IP, sign=None):
    msg = dkimtest.message(frm=frm, to=RCPT[0])
    if sign:
        msg = dkimtest.sign(msg, key, sign[0], sign[1])
    t0 = time.time()
    r = milterclient.send_message(d.socket_spec, ip, "mail.example",
                                  mailfrom or frm, RCPT, msg, timeout=30)
    took = time.time() - t0
    return r, authres(r), logline(d, r.queue_id), took


def temperror(name, domain, reason):
    r, ar, log, took = send(accepting, "a@" + domain)
    tap.is_(r.action, "accept", "%s: TempErrorAction accept accepts" % name)
    tap.like(ar, r"dmarc=temperror", "%s: dmarc=temperror" % name)
    tap.like(log, r'dmarc=temperror .*reason="[^"]*%s' % reason,
             "%s: logged with reason %s" % (name, reason))
    tap.ok(took < 8, "%s: answered in %.1f s" % (name, took))
    r, ar, log, took = send(tempfailing, "a@" + domain)
    tap.is_(r.action, "tempfail", "%s: TempErrorAction tempfail" % name)
    tap.like(r.reply or "", r"^451 4\.7\.5 ", "%s: 451 4.7.5" % name)


temperror("timeout", "timeout.example", "timeout")
temperror("SERVFAIL", "servfail.example", "SERVFAIL")
# libunbound reports a forwarder's REFUSED as SERVFAIL.
temperror("REFUSED", "refused.example", "SERVFAIL")
temperror("answer slower than DNSTimeout", "slow.example", "timeout")
temperror("TXT RDATA cut short", "rawbad.example",
          "malformed TXT RDATA")
temperror("CNAME loop", "cloop.example", "SERVFAIL")

r, ar, log, took = send(accepting, "a@slowok.example")
tap.is_(r.action, "reject", "slow answer within DNSTimeout: evaluated "
        "(p=reject applies)")
tap.like(ar, r"dmarc=fail", "slow answer within DNSTimeout: dmarc=fail")

dns.queries[:] = []
r, ar, log, took = send(accepting, "a@big.example")
tap.is_(r.action, "reject", "answer over 512 bytes: evaluated (reject)")
tap.like(log, r"policy_domain=big\.example", "answer over 512 bytes: "
         "policy found")
tap.ok(any(q[2] == "tcp" and "_dmarc.big.example" in q[0].lower()
           for q in dns.queries),
       "answer over 512 bytes: truncated over UDP, retried over TCP")

r, ar, log, took = send(accepting, "a@many20.example")
tap.is_(r.action, "reject", "20 TXT records, one DMARC: evaluated (reject)")
r, ar, log, took = send(accepting, "a@many40.example")
tap.is_(r.action, "accept", "40 TXT records: accepted")
tap.like(ar, r"dmarc=none",
         "40 TXT records: uniqueness unknown, no policy")
tap.like(log, r"reason=\"[^\"]*more than 32 TXT records",
         "40 TXT records: logged with the reason")

r, ar, log, took = send(accepting, "a@spftemp.example",
                        sign=("sel", "spftemp.example"))
tap.like(ar, r"spf=temperror", "SPF lookup SERVFAIL: spf=temperror")
tap.like(ar, r"dmarc=pass", "SPF temperror: DMARC passes on aligned DKIM")
tap.is_(r.action, "accept", "SPF temperror with DKIM pass: accepted")
r, ar, log, took = send(tempfailing, "a@spftemp.example")
tap.like(ar, r"spf=temperror", "SPF temperror, no DKIM: spf=temperror")
tap.like(ar, r"dmarc=temperror",
         "SPF temperror, no DKIM: dmarc=temperror (a possibly aligned "
         "identifier failed temporarily)")
tap.is_(r.action, "tempfail", "SPF temperror, no DKIM: TempErrorAction")

r, ar, log, took = send(accepting, "a@example.com", mailfrom="a@example.com",
                        ip=GOOD_IP, sign=("keyfail", "example.com"))
tap.like(ar, r"dkim=temperror \([^)]*SERVFAIL",
         "DKIM key SERVFAIL: dkim=temperror with the reason")
tap.like(ar, r"dmarc=pass", "DKIM temperror: DMARC passes on aligned SPF")
r, ar, log, took = send(accepting, "a@example.com", mailfrom="a@example.com",
                        ip=GOOD_IP, sign=("keyslow", "example.com"))
tap.like(ar, r"dkim=temperror \([^)]*timeout",
         "DKIM key timeout: dkim=temperror with the reason")
tap.ok(took < 8, "DKIM key timeout: answered in %.1f s" % took)

r, ar, log, took = send(accepting, "a@spfbad.example", ip=GOOD_IP)
tap.like(ar, r"spf=permerror", "SPF syntax error: spf=permerror")
tap.is_(r.action, "reject", "SPF permerror, no DKIM: DMARC fail, rejected")


# ---- DNSSEC: a zone signed with ldns-signzone, served by nsd --------------
SIGNED_ZONE = """$ORIGIN example.
$TTL 60
@ IN SOA ns.example. host.example. 1 3600 600 86400 60
@ IN NS ns.example.
ns IN A 127.0.0.1
good IN TXT "v=spf1 ip4:%s -all"
_dmarc.good IN TXT "v=DMARC1; p=reject"
bad IN TXT "v=spf1 ip4:%s -all"
_dmarc.bad IN TXT "v=DMARC1; p=reject"
""" % (GOOD_IP, GOOD_IP)


def sign_zone(d):
    """Sign SIGNED_ZONE with a fresh ECDSA key, corrupt the signature of
    _dmarc.bad.example TXT; -> trust anchor file."""
    with open(os.path.join(d, "example.zone"), "w") as f:
        f.write(SIGNED_ZONE)
    k = subprocess.run(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k",
                        "example"], cwd=d, check=True,
                       stdout=subprocess.PIPE).stdout.decode().strip()
    day = time.strftime("%Y%m%d", time.gmtime(time.time() - 86400))
    subprocess.run(["ldns-signzone", "-i", day, "example.zone", k], cwd=d,
                   check=True)
    path = os.path.join(d, "example.zone.signed")
    lines = open(path).read().splitlines()
    for i, line in enumerate(lines):
        f = line.split()
        if f[0] == "_dmarc.bad.example." and f[3] == "RRSIG" and \
                f[4] == "TXT":
            sig = f[-1]
            mid = len(sig) // 2
            f[-1] = sig[:mid] + ("A" if sig[mid] != "A" else "B") + \
                sig[mid + 1:]
            lines[i] = "\t".join(f)
    with open(path, "w") as fp:
        fp.write("\n".join(lines) + "\n")
    anchor = os.path.join(d, "anchor.key")
    with open(os.path.join(d, k + ".key")) as src, open(anchor, "w") as dst:
        dst.write(src.read().split(";")[0] + "\n")
    return anchor


def start_nsd(d, port):
    conf = os.path.join(d, "nsd.conf")
    with open(conf, "w") as f:
        f.write("""server:
    ip-address: 127.0.0.1@%d
    port: %d
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "%s"
    database: ""
    pidfile: "%s/nsd.pid"
    xfrdfile: "%s/xfrd.state"
    zonelistfile: "%s/zone.list"
    logfile: "%s/nsd.log"
    verbosity: 1
remote-control:
    control-enable: no
zone:
    name: example
    zonefile: example.zone.signed
""" % (port, port, d, d, d, d, d))
    p = subprocess.Popen(["nsd", "-d", "-c", conf], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    harness.at_cleanup(lambda: harness.stop_process(p, 3))
    deadline = time.time() + 5
    while time.time() < deadline and p.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return p
        except OSError:
            time.sleep(0.1)
    return p


tools = [t for t in ("nsd", "ldns-keygen", "ldns-signzone")
         if not shutil.which(t)]
if tools:
    tap.skip("DNSSEC: %s not installed (contrib/install-deps)"
             % ", ".join(tools), 6)
else:
    sec_dir = os.path.join(out, "dnssec")
    os.makedirs(sec_dir, exist_ok=True)
    anchor = sign_zone(sec_dir)
    nsd_port = harness.free_port()
    nsd = start_nsd(sec_dir, nsd_port)
    validating = harness.Daemon(out, {
        "AuthservID": "mx.test.local",
        "HistoryDB": os.path.join(out, "dnssec.db"),
        "DNSTimeout": 2,
        "DNSSEC": "yes",
        "TrustAnchorFile": anchor,
        "Nameservers": "127.0.0.1@%d" % nsd_port,
        "IgnoreNetworks": "\"\"",
        "Syslog": "no",
    }, name="dnssec")
    validating.start()
    r, ar, log, took = send(validating, "a@good.example", ip=BAD_IP)
    tap.is_(r.action, "reject", "DNSSEC: validated policy applies (reject)")
    tap.like(ar, r"dmarc=fail", "DNSSEC: signed zone validates, dmarc=fail")
    r, ar, log, took = send(validating, "a@good.example", ip=GOOD_IP)
    tap.like(ar, r"(?s)spf=pass .*dmarc=pass", "DNSSEC: signed SPF and DMARC "
             "records validate, dmarc=pass")
    r, ar, log, took = send(validating, "a@bad.example", ip=BAD_IP)
    tap.is_(r.action, "accept", "DNSSEC bogus: TempErrorAction accept")
    tap.like(ar, r"dmarc=temperror", "DNSSEC bogus: dmarc=temperror")
    tap.like(log, r'reason="[^"]*DNSSEC bogus: [^"]*signature',
             "DNSSEC bogus: logged with the validator's reason")
    tap.diag("logged: %s" % re.sub(r".*reason=", "reason=", log))
    validating.stop()
    harness.stop_process(nsd, 3)

for d in (accepting, tempfailing):
    tap.ok(d.running(), "%s daemon still running" % d.name)
    tap.is_(d.stop(), 0, "%s daemon stops cleanly" % d.name)
    tap.unlike(d.stderr_text(), r"Sanitizer|runtime error",
               "%s daemon: no sanitizer report" % d.name)
sys.exit(tap.done_testing())
