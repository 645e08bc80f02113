#!/usr/bin/python3
"""report_sign.t - DKIM signatures on report mail with an Ed25519
ReportSigningKey (RFC 8463), and the key checked at start-up (issue 11:
signer.c hard-coded rsa-sha256, so every report failed with an Ed25519
key, one error per report).

  - Ed25519 PEM key: the report goes out signed a=ed25519-sha256; the
    signature verifies with python3-dkim, which fetches the key record
    from the test DNS on loopback; a changed Subject does not verify
  - the same for an RSA key (a=rsa-sha256), so both algorithms stay
  - a corrupt key, a key file that is missing and a key of another type
    (EC P-256): exit 2 at start-up with the reason, nothing sent, no
    report started
"""

import os
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "data", "report"))
import dkimtest  # noqa: E402
import harness  # noqa: E402
import history  # noqa: E402
import reptest  # noqa: E402
import tap  # noqa: E402

if not os.access(reptest.REPORTER, os.X_OK):
    tap.skip_all("reporter/dmarcwarden-report not built")
try:
    import dkim
    import dnslib
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
except ImportError as exc:
    tap.skip_all("python3-dkim, dnslib or cryptography missing: %s" % exc)

T0 = 1763856000
PERIOD = ["--begin", "2025-11-23", "--end", "2025-11-24"]
out = harness.outdir("report_sign")


def pem(key):
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


ed = ed25519.Ed25519PrivateKey.generate()
ed_pub = ed.public_key().public_bytes(serialization.Encoding.Raw,
                                      serialization.PublicFormat.Raw)
ed_key = dkimtest.Key("ed25519", b"", __import__("base64").b64encode(
    ed_pub).decode(), 256)
rsa_key = dkimtest.Key.rsa(2048)
dns = harness.start_dns("\n".join([
    ed_key.zone_line("ed", "mx.test.local"),
    rsa_key.zone_line("rsa", "mx.test.local")]))
if dns is None:
    tap.skip_all("test DNS unavailable: %s" % harness.last_dns_error)


def dnsfunc(name, timeout=5):
    """python3-dkim's key lookup, answered by the test DNS."""
    q = dnslib.DNSRecord.question(name.decode().rstrip("."), "TXT")
    reply = dnslib.DNSRecord.parse(q.send("127.0.0.1", dns.port,
                                          timeout=timeout))
    for rr in reply.rr:
        if rr.rtype == dnslib.QTYPE.TXT:
            return b"".join(rr.rdata.data)
    return None


def history_db(path):
    db = history.create(path)
    history.add(db, time=T0 + 1)
    db.commit()
    db.close()


def setup(name, keydata, selector):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    keyfile = os.path.join(d, "report.key")
    if keydata is not None:
        with open(keyfile, "wb") as fp:
            fp.write(keydata)
    h = os.path.join(d, "history.db")
    history_db(h)
    rt = reptest.Reporter(d, {"ReportSigningKey": keyfile,
                              "ReportSigningSelector": selector,
                              "ReportSigningDomain": "mx.test.local"})
    return rt, h


# Under --enable-asan: libopendkim leaks each Ed25519 key it loads (see
# the suppressions file); that is the library's, not the reporter's.  Full
# stacks (no fast unwinding) so that the leaks inside libcrypto are traced
# to dkim_privkey_load and nothing else is suppressed.
ENV = dict(os.environ, ASAN_OPTIONS="fast_unwind_on_malloc=0",
           LSAN_OPTIONS="suppressions=" + os.path.join(
               HERE, "..", "data", "report", "lsan-opendkim.supp"))
for kind, keydata, sel in (("ed25519", pem(ed), "ed"),
                           ("rsa", rsa_key.private, "rsa")):
    rt, h = setup(kind, keydata, sel)
    rc, so, se = rt.run("--db", h, *PERIOD, env=ENV)
    tap.is_(rc, 0, "%s: run exits 0 (%s)" % (kind, se.strip()[-300:]))
    tap.like(so, r"1 reports, 1 sent, 0 skipped, 0 failed", "%s: report "
             "sent" % kind)
    sent = rt.sent()
    data = sent[0][1] if sent else b""
    tap.like(data.decode("ascii", "replace"), r"^DKIM-Signature: v=1; "
             r"a=%s-sha256; c=relaxed/relaxed; d=mx.test.local;\s+s=%s;"
             % (kind, sel), "%s: DKIM-Signature first, a=%s-sha256"
             % (kind, kind))
    tap.ok(dkim.verify(data, dnsfunc=dnsfunc), "%s: python3-dkim verifies "
           "it with the key in the test DNS" % kind)
    tampered = data.replace(b"Report Domain:", b"Report domain:", 1)
    tap.ok(not dkim.verify(tampered, dnsfunc=dnsfunc),
           "%s: and refuses it after a change to the Subject" % kind)

# ---- keys refused at start-up ------------------------------------------
p256 = pem(ec.generate_private_key(ec.SECP256R1()))
corrupt = pem(ed25519.Ed25519PrivateKey.generate()).replace(b"MC4", b"XX4")
for name, keydata, why in (
        ("corrupt", corrupt, r"not a readable PEM private key"),
        ("missing", None, r"cannot open: No such file"),
        ("ecdsa", p256, r"neither an RSA nor an Ed25519 key")):
    rt, h = setup(name, keydata, "x")
    rc, so, se = rt.run("--db", h, *PERIOD)
    tap.is_(rc, 2, "%s key: exit 2 at start-up" % name)
    tap.like(se, r"ReportSigningKey: \S*report.key: " + why,
             "%s key: the reason is given" % name)
    tap.is_((rt.sent(), sqlite3.connect(h).execute(
        "SELECT count(*) FROM report_log").fetchall()), ([], [(0,)]),
        "%s key: nothing sent, no report started" % name)

tap.done_testing()
