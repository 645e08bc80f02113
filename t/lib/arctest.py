"""arctest - ARC-sealed test messages with Debian's python3-dkim, and
python3-dkim's own verdict, for cross-checking milter/arc.c.

SYNOPSIS
    sys.path.insert(0, 't/lib'); import arctest, dkimtest
    keys = arctest.KeyTable()
    key = keys.add('sel', 'example.org', dkimtest.Key.rsa(2048))
    msg = dkimtest.message(...)
    msg = arctest.seal(msg, key, 'sel', 'example.org', 'mx.example.org',
                       cv='none', results='spf=pass smtp.mailfrom=...')
    cv, oldest, reason = arctest.verify(msg, keys)      # python3-dkim
    zone_text = keys.zone()                             # for testdns
    out = arctest.run_arcverify(tool, port, msg)        # ours (dict)

DESCRIPTION
    seal() adds one ARC set the way an intermediary would: it prepends an
    Authentication-Results header (authserv-id srv_id, the given results
    and "arc=<cv>" when cv is pass or fail), lets python3-dkim compute
    the set (dkim.ARC.sign: AAR from that A-R, AMS with relaxed/relaxed
    over python3-dkim's default header list or `headers`, AS over the
    chain), removes the temporary A-R and returns the message with the
    three new fields on top (bytes, CRLF).  cv is the chain status this
    hop claims: none for the first hop, pass after, fail to mark a broken
    chain.  timestamp defaults to now.

    python3-dkim 1.1.4's arc_sign() always signs with rsa-sha256 and
    parses the key as PEM; for ed25519 keys seal() calls dkim.ARC
    directly with signature_algorithm ed25519-sha256 and supplies the
    key as a PyNaCl signing key (the same object dkim.sign() builds for
    ed25519), so the signatures are python3-dkim's own.

    verify() runs dkim.arc_verify() with a dnsfunc that serves the
    KeyTable's records (the same ones testdns serves us) and returns
    (cv, oldest_pass, reason): cv is "pass", "fail" or "none"; a chain
    python3-dkim reports as None (a seal says cv=fail: "the chain is
    terminated") is mapped to "fail", which is what RFC 8617 5.2 steps
    2 and 3 call it.  oldest_pass is derived from python3-dkim's per-set
    "ams-valid" results the way RFC 8617 5.2 step 5 defines it, but
    numbered like arc.h (the lowest instance whose AMS verifies; 1 when
    all do), so it compares with arcverify's oldest_pass.

    python3-dkim 1.1.4 verifies ed25519-sha256 signatures (RFC 8463) in
    DKIM but leaves it out of the algorithms it accepts in ARC
    (dkim.ARC_HASH_ALGORITHMS lists rsa-sha256 only), so its plain
    arc_verify() fails every ed25519 seal with "unknown signature
    algorithm".  RFC 8617 takes a= from DKIM, where ed25519-sha256 is
    registered, so verify() adds it to that table for the call (ed25519=
    False leaves it out): the verification is still python3-dkim's own
    canonicalization and PyNaCl Ed25519 check.

    run_arcverify() feeds a message to t/tools/arcverify and returns its
    key=value lines as a dict, with 'exit' and 'stderr'; when the tool
    cannot be run or times out, cv is "crash" and stderr says why.

    Run under /usr/bin/python3.
"""

import os
import subprocess
import tempfile
import time

import dkim
import dkim.util

import dkimtest


class KeyTable:
    """Key records by DNS name; zone() for testdns, txt() for dkimpy."""

    def __init__(self):
        self.records = {}

    def add(self, selector, domain, key, record=None):
        """Publish key (or a raw record text) at selector._domainkey.domain
        and return the key."""
        name = '%s._domainkey.%s' % (selector, domain)
        self.records[name.lower()] = record if record is not None \
            else key.record()
        return key

    def zone(self):
        return '\n'.join(dkimtest.txt_line(n, r)
                         for n, r in sorted(self.records.items())) + '\n'

    def txt(self, name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode('ascii', 'replace')
        rec = self.records.get(name.rstrip('.').lower())
        return rec.encode() if rec is not None else None


def _private_key(key):
    if key.kind != 'ed25519':
        return key.private
    import nacl.encoding
    import nacl.signing
    return nacl.signing.SigningKey(key.private,
                                   encoder=nacl.encoding.Base64Encoder)


def seal(msg, key, selector, domain, srv_id, cv='none',
         results='spf=pass smtp.mailfrom=example.org', headers=None,
         timestamp=None):
    """Return msg with one more ARC set on top (see module doc)."""
    ar = '%s; %s' % (srv_id, results)
    if cv in ('pass', 'fail'):
        ar += '; arc=%s' % cv
    tagged = b'Authentication-Results: ' + ar.encode() + b'\r\n' + msg
    a = dkim.ARC(tagged, signature_algorithm=key.algorithm())
    hdrs = [h.encode() for h in headers] if headers else \
        a.default_sign_headers()
    saved = dkim.parse_pem_private_key
    if key.kind == 'ed25519':
        # dkim.ARC.sign() parses every key as PEM: hand it the PyNaCl
        # key it would need for ed25519 (see the module doc).
        dkim.parse_pem_private_key = lambda _k: _private_key(key)
    try:
        new = a.sign(selector.encode(), domain.encode(), key.private,
                     srv_id.encode(), include_headers=hdrs,
                     timestamp=timestamp or int(time.time()))
    finally:
        dkim.parse_pem_private_key = saved
    if not new:
        raise RuntimeError('python3-dkim declined to seal (cv=%s)' % cv)
    return b''.join(new) + msg


def verify(msg, keys, ed25519=True):
    """python3-dkim's verdict: (cv, oldest_pass, reason)."""
    saved = dict(dkim.ARC_HASH_ALGORITHMS)
    if ed25519:
        dkim.ARC_HASH_ALGORITHMS[b'ed25519-sha256'] = \
            dkim.HASH_ALGORITHMS[b'ed25519-sha256']
    try:
        cv, results, reason = dkim.arc_verify(msg, dnsfunc=keys.txt)
    finally:
        dkim.ARC_HASH_ALGORITHMS.clear()
        dkim.ARC_HASH_ALGORITHMS.update(saved)
    name = {dkim.CV_Pass: 'pass', dkim.CV_Fail: 'fail',
            dkim.CV_None: 'none', None: 'fail'}[cv]
    oldest = 0
    if name == 'pass':
        for r in results:               # newest first
            if not r['ams-valid']:
                break
            oldest = r['instance']
    return name, oldest, reason


def run_arcverify(tool, port, msg, now=None, chunk=None, timeout=60):
    """Our verdict: arcverify's output lines as a dict."""
    with tempfile.NamedTemporaryFile(suffix='.eml', delete=False) as f:
        f.write(msg)
        path = f.name
    try:
        cmd = [tool, '-n', '127.0.0.1@%d' % port]
        if now is not None:
            cmd += ['-t', str(now)]
        if chunk is not None:
            cmd += ['-c', str(chunk)]
        p = subprocess.run(cmd + ['-v', path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
    except (OSError, subprocess.SubprocessError) as e:
        # Reported as a failing case, not as a test script that dies
        # without a plan.
        return {'exit': -1, 'stderr': 'arcverify: %s' % e, 'sets': [],
                'cv': 'crash'}
    finally:
        os.unlink(path)
    out = {'exit': p.returncode, 'stderr': p.stderr.decode('latin-1'),
           'sets': []}
    for line in p.stdout.decode('latin-1').splitlines():
        if line.startswith('set '):
            out['sets'].append(line)
            continue
        k, _, val = line.partition('=')
        out[k] = val
    return out
