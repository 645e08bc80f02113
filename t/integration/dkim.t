#!/usr/bin/python3
"""DKIM verification end to end: keys generated now, served by testdns,
messages signed with python3-dkim, verified by t/tools/dkimverify
(milter/dkim.c over libopendkim, keys through dns/dns.c)."""

import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, 't', 'lib'))

import dkimtest                      # noqa: E402
from testdns import TestDNS          # noqa: E402

TOOL = os.path.join(TOP, 't', 'tools', 'dkimverify')
TIMEOUT_MS = 800
n = 0
failed = 0
noisy = []          # runs that wrote to stderr or exited non-zero


def ok(cond, name):
    global n, failed
    n += 1
    print('%sok %d - %s' % ('' if cond else 'not ', n, name))
    if not cond:
        failed += 1
    return cond


def diag(text):
    for line in str(text).splitlines():
        print('# ' + line)


LINE = re.compile(r'^(\S+) d=(\S+) s=(\S+) a=(\S+) bits=(\d+) l=([01]) '
                  r'i=(\S+) b=(\S+) reason=(.*)$')


def verify(msg, *args):
    """Run dkimverify -v; -> (list of dicts, ignored count, seconds)."""
    with tempfile.NamedTemporaryFile(suffix='.eml') as f:
        f.write(msg)
        f.flush()
        t0 = time.time()
        r = subprocess.run([TOOL, '-v', '-t', str(TIMEOUT_MS), '-n',
                            '127.0.0.1@%d' % PORT] + list(args) + [f.name],
                           capture_output=True, text=True, timeout=60)
        secs = time.time() - t0
    sigs, ignored = [], None
    if r.returncode != 0 or r.stderr:
        diag('exit %d: %s' % (r.returncode, r.stderr[-3000:]))
        noisy.append(r.returncode)
    for line in r.stdout.splitlines():
        m = LINE.match(line)
        if m:
            sigs.append(dict(zip(('result', 'd', 's', 'a', 'bits', 'l',
                                  'i', 'b', 'reason'), m.groups())))
        elif line.startswith('count='):
            ignored = int(line.split('ignored=')[1])
        else:
            diag('unparsed: ' + line)
    return sigs, ignored, secs


def one(msg, name, result, reason=None, *args, **want):
    """Exactly one signature with this result (and reason substring)."""
    sigs, _, _ = verify(msg, *args)
    good = len(sigs) == 1 and sigs[0]['result'] == result
    if good and reason is not None:
        good = reason in sigs[0]['reason']
    for k, v in want.items():
        good = good and sigs[0].get(k) == v
    if not ok(good, name):
        diag('got %r' % (sigs,))
    return sigs


if not os.access(TOOL, os.X_OK):
    print('1..0 # SKIP %s not built' % TOOL)
    sys.exit(0)

D = 'example.com'
k2048 = dkimtest.Key.rsa(2048)
k1024 = dkimtest.Key.rsa(1024)
k512 = dkimtest.Key.rsa(512)
kother = dkimtest.Key.rsa(1024)
ked = dkimtest.Key.ed25519()
zone = '\n'.join([
    k2048.zone_line('s2048', D),
    k1024.zone_line('s1024', D),
    k512.zone_line('s512', D),
    ked.zone_line('ed', D),
    kother.zone_line('wrong', D),          # a key that did not sign
    k1024.zone_line('s2', 'example.org'),
    dkimtest.txt_line('garbage._domainkey.' + D,
                      'v=DKIM1; k=rsa; p=!!!not*base64%%%'),
    dkimtest.txt_line('junk._domainkey.' + D, 'MIIBIjANBgkqhkiG9w0'),
    dkimtest.txt_line('revoked._domainkey.' + D, 'v=DKIM1; k=rsa; p='),
    dkimtest.txt_line('edtype._domainkey.' + D,
                      'v=DKIM1; k=ed25519; p=' + k1024.public_b64),
    dkimtest.txt_line('rsatype._domainkey.' + D,
                      'v=DKIM1; k=rsa; p=' + ked.public_b64),
    'nodata._domainkey.%s A 192.0.2.1' % D,
    'slow._domainkey.%s TIMEOUT' % D,
    'broken._domainkey.%s SERVFAIL' % D,
])
dns = TestDNS(zone)
PORT = dns.start()

msg = dkimtest.message(body='Hello,\n\nthis is a  test.\n')


def signed(key, sel, **kw):
    return dkimtest.sign(msg, key, sel, D, **kw)


# --- pass, canonicalization --------------------------------------------
s = one(signed(k2048, 's2048'), 'rsa-2048 relaxed/simple passes', 'pass',
        d=D, s='s2048', a='rsa-sha256', bits='2048', l='0')
ok(s and len(s[0]['b']) == 8, 'header.b is 8 characters of b=')
one(signed(k1024, 's1024'), 'rsa-1024 passes', 'pass', bits='1024')
for canon in ('simple/simple', 'relaxed/relaxed', 'simple/relaxed'):
    one(signed(k2048, 's2048', canon=canon), '%s passes' % canon, 'pass')

m = signed(k2048, 's2048', canon='relaxed/relaxed')
one(m.replace(b'Subject: test message', b'Subject:   test   message')
    .replace(b'a  test', b'a test'),
    'relaxed/relaxed tolerates whitespace changes', 'pass')
m = signed(k2048, 's2048', canon='simple/simple')
one(m.replace(b'Subject: test message', b'Subject:   test   message'),
    'simple header canonicalization rejects whitespace change', 'fail')
one(m.replace(b'a  test', b'a test'),
    'simple body canonicalization rejects whitespace change', 'fail',
    'body hash')
m = signed(k2048, 's2048', canon='relaxed/simple')
one(m.replace(b'From: alice@example.com', b'FROM: alice@example.com'),
    'relaxed header canonicalization ignores field name case', 'pass')

# --- modifications -------------------------------------------------------
one(signed(k2048, 's2048').replace(b'this is', b'this was'),
    'body modified: fail', 'fail', 'body hash mismatch')
one(signed(k2048, 's2048').replace(b'test message', b'test massage'),
    'signed header modified: fail', 'fail', 'signature verification')
one(dkimtest.sign(msg, k2048, 's2048', D, headers=['From', 'Subject'])
    .replace(b'To: bob', b'To: eve'),
    'unsigned header modified: pass', 'pass')
one(signed(k2048, 's2048') + b'appended line\r\n',
    'content appended without l=: fail', 'fail', 'body hash')
one(signed(k2048, 'wrong'), 'key of another pair: fail', 'fail',
    'signature verification')

# --- two signatures ------------------------------------------------------
m = dkimtest.sign(signed(k2048, 's2048'), k2048, 's2', 'example.org')
sigs, _, _ = verify(m)
res = sorted((x['result'], x['d'], x['s']) for x in sigs)
if not ok(res == [('fail', 'example.org', 's2'), ('pass', D, 's2048')],
          'two signatures: one pass, one fail, d= and s= right'):
    diag(repr(sigs))
ok(len(sigs) == 2 and sigs[0]['d'] == 'example.org',
   'signatures reported in header order')
m = dkimtest.sign(signed(k1024, 's1024'), k2048, 's2048', D)
sigs, _, _ = verify(m)
ok([x['result'] for x in sigs] == ['pass', 'pass'],
   'two valid signatures of one domain both pass')

# --- DNS outcomes ----------------------------------------------------------
one(signed(k2048, 'missing'), 'key NXDOMAIN: permerror', 'permerror',
    'NXDOMAIN', s='missing')
one(signed(k2048, 'nodata'), 'key NODATA: permerror', 'permerror',
    'NODATA')
sigs, _, secs = verify(signed(k2048, 'slow'))
ok(len(sigs) == 1 and sigs[0]['result'] == 'temperror',
   'key TIMEOUT: temperror (%s)' % (sigs and sigs[0]['reason']))
ok(secs < TIMEOUT_MS / 1000.0 + 3, 'timeout honoured (%.1fs)' % secs)
one(signed(k2048, 'broken'), 'key SERVFAIL: temperror', 'temperror')
m = dkimtest.sign(signed(k2048, 's2048'), k2048, 'slow', D)
sigs, _, _ = verify(m)
ok([x['result'] for x in sigs] == ['temperror', 'pass'],
   'a timeout for one signature does not spoil the other')

m = dkimtest.sign(dkimtest.sign(signed(k2048, 'slow'), k1024, 'slow', D),
                 k2048, 'slow', D)
sigs, _, secs = verify(m)
ok([x['result'] for x in sigs] == ['temperror'] * 3 and
   secs < 2 * TIMEOUT_MS / 1000.0 + 1,
   'three signatures on one timing-out key wait once (%.1fs)' % secs)

# --- bad keys --------------------------------------------------------------
one(signed(k2048, 'garbage'), 'garbage base64 key: permerror', 'permerror')
one(signed(k2048, 'junk'), 'key record without tags: permerror',
    'permerror')
one(signed(k2048, 'revoked'), 'revoked key (empty p=): permerror',
    'permerror', 'revoked')
one(signed(k1024, 'edtype'), 'rsa signature, k=ed25519 on an rsa key: '
    'permerror', 'permerror', 'k=')
one(dkimtest.sign(msg, ked, 'rsatype', D), 'ed25519 signature, rsa key '
    'record: not pass', 'permerror', 'k=')

# --- RFC 8301 --------------------------------------------------------------
one(signed(k512, 's512'), '512-bit key: fail (RFC 8301 weak key)', 'fail',
    'weak key')
one(signed(k2048, 's2048', algorithm=b'rsa-sha1'),
    'rsa-sha1: fail (RFC 8301)', 'fail', 'rsa-sha1')

# --- l= --------------------------------------------------------------------
m = signed(k2048, 's2048', length=True)
one(m, 'l= signature passes, flagged', 'pass', l='1')
one(m + b'unsigned tail\r\n', 'l= signature with appended text: pass, flagged',
    'pass', l='1')
one(m.replace(b'this is a  test.\r\n', b''),
    'l= larger than the body: fail', 'fail')
# -L: the daemon's default (DKIMTrustLengthTag no)
one(m, 'strict l=: nothing after the signed length: pass', 'pass', None,
    '-L')
one(m + b'unsigned tail\r\n', 'strict l=: appended text: policy',
    'policy', 'unsigned content after l=', '-L')
m = signed(k2048, 's2048', length=True, canon='relaxed/relaxed')
one(m.replace(b'test.\r\n', b'test.  \t\r\n') + b'\r\n\r\n',
    'strict l=, relaxed: trailing blanks and empty lines are not content: '
    'pass', 'pass', None, '-L')
one(m + b'more\r\n', 'strict l=, relaxed: appended text: policy', 'policy',
    'unsigned content after l=', '-L')
m = signed(k2048, 's2048', length=True, canon='relaxed/simple')
one(m + b'\r\n', 'strict l=, simple: an empty line appended is not content '
    '(simple drops trailing empty lines): pass', 'pass', None, '-L')

# --- ed25519 (RFC 8463) ----------------------------------------------------
one(signed(ked, 'ed'), 'ed25519-sha256 passes', 'pass',
    a='ed25519-sha256', bits='256')
one(signed(ked, 'ed').replace(b'this is', b'this was'),
    'ed25519 body modified: fail', 'fail')
one(signed(ked, 'ed').replace(b'test message', b'test massage'),
    'ed25519 header modified: fail', 'fail')
m = dkimtest.sign(signed(ked, 'ed'), k2048, 's2048', D)
sigs, _, _ = verify(m)
ok([x['result'] for x in sigs] == ['pass', 'pass'] and
   sigs[1]['a'] == 'ed25519-sha256', 'dual rsa + ed25519 signatures pass')

# --- large body, streamed --------------------------------------------------
big = dkimtest.message(body=('x' * 70 + '\n') * 14800)   # ~1 MB
ok(len(big) > 1000000, 'large message is over 1 MB')
m = dkimtest.sign(big, k2048, 's2048', D)
for chunk in ('7', '1000', '65536'):
    one(m, '1 MB body in %s-byte chunks passes' % chunk, 'pass', None,
        '-c', chunk)
one(m[:-3] + b'y\r\n', '1 MB body, last byte changed: fail', 'fail',
    'body hash', '-c', '4096')

# --- counts and limits -----------------------------------------------------
sigs, ignored, _ = verify(msg)
ok(sigs == [] and ignored == 0, 'unsigned message: no signatures')
m = msg
for sel in ('s1024', 's2048', 'missing', 'nodata'):
    m = dkimtest.sign(m, k2048 if sel == 's2048' else k1024, sel, D)
before = len(dns.queries)
sigs, ignored, _ = verify(m, '-m', '2')
ok(len(sigs) == 4 and ignored == 2, 'max 2 of 4: all listed, 2 ignored')
ok([x['reason'] for x in sigs[2:]] == ['too many signatures'] * 2 and
   all(x['result'] == 'permerror' for x in sigs[2:]),
   'signatures past the limit are permerror "too many signatures"')
ok([x['result'] for x in sigs[:2]] == ['permerror', 'permerror'],
   'the first two are verified (nodata, missing)')
asked = [q[0].lower() for q in dns.queries[before:]]
ok(not any(a.startswith(('s1024.', 's2048.')) for a in asked),
   'no key lookup for ignored signatures')
# MaximumSignatures prefers signatures aligned with From: three from
# example.org on top of example.com's own, one verified.
m = signed(k2048, 's2048')
for i in range(3):
    m = dkimtest.sign(m, k1024, 's2', 'example.org')
sigs, ignored, _ = verify(m, '-m', '1')
ok(len(sigs) == 4 and ignored == 3 and sigs[0]['d'] == 'example.org',
   'max 1, no From given: the first signature (example.org) is verified')
sigs, ignored, _ = verify(m, '-m', '1', '-F', 'news.' + D)
ok(len(sigs) == 4 and ignored == 3 and sigs[0]['d'] == D and
   sigs[0]['result'] == 'pass',
   'max 1, From news.%s: the aligned signature is verified first, pass' % D)
ok([x['reason'] for x in sigs[1:]] == ['too many signatures'] * 3,
   '... the three example.org ones are "too many signatures"')
m = msg
for i in range(40):
    m = dkimtest.sign(m, k1024, 's1024', D)
sigs, ignored, _ = verify(m, '-m', '50')
ok(len(sigs) == 32 and ignored == 8,
   '40 signatures: 32 reported (EVAL_MAX_DKIM), 8 ignored')
ok(all(x['result'] == 'pass' for x in sigs), 'the 32 verified all pass')

# --- hostile and broken input ----------------------------------------------
good = signed(k2048, 's2048')
nob = (b'DKIM-Signature: v=1; a=rsa-sha256; d=example.net; s=x; '
       b'c=relaxed/simple; h=from:to; bh=AAAA;\r\n')
sigs, _, _ = verify(nob + good)
ok(len(sigs) == 2 and sigs[0]['result'] == 'permerror' and
   sigs[0]['d'] == 'example.net' and sigs[1]['result'] == 'pass',
   'signature without b=: permerror with d=, the other still passes')
if not sigs or sigs[0]['result'] != 'permerror':
    diag(repr(sigs))
for name, hdr in [
        ('empty value', b'DKIM-Signature:\r\n'),
        ('only separators', b'DKIM-Signature: ;;;===;=;\r\n'),
        ('unknown version', b'DKIM-Signature: v=9; a=rsa-sha256; d=x.org; '
         b's=a; h=from; bh=AA==; b=AA==\r\n'),
        ('unknown algorithm', b'DKIM-Signature: v=1; a=rsa-md5; d=x.org; '
         b's=a; h=from; bh=AA==; b=AA==\r\n'),
        ('h= without from', b'DKIM-Signature: v=1; a=rsa-sha256; d=x.org; '
         b's=a; h=subject; bh=AA==; b=AA==\r\n'),
        ('huge d=', b'DKIM-Signature: v=1; a=rsa-sha256; d=' + b'a' * 5000 +
         b'.org; s=a; h=from; bh=AA==; b=AA==\r\n'),
        ('8-bit bytes', b'DKIM-Signature: v=1; a=rsa-sha256; d=\xff\xfe.org;'
         b' s=\x01; h=from; bh=AA==; b=AA==\r\n'),
        ('l= not a number', b'DKIM-Signature: v=1; a=rsa-sha256; d=x.org; '
         b's=a; l=-5x; h=from; bh=AA==; b=AA==\r\n')]:
    sigs, _, _ = verify(hdr + good)
    res = [x['result'] for x in sigs]
    if not ok(res == ['permerror', 'pass'],
              'broken signature (%s): permerror, valid one passes' % name):
        diag(repr(sigs))
m = good.replace(b'From: alice@example.com\r\n', b'')
sigs, _, _ = verify(m)
ok(len(sigs) == 1 and sigs[0]['result'] in ('permerror', 'fail') and
   sigs[0]['d'] == D, 'no From header: not pass, d= still reported (%s)'
   % (sigs and sigs[0]['reason']))
m = b'X-Bad\x01Name: v\r\nX-8bit: caf\xc3\xa9 \x00 nul\r\n' + good
one(m, 'control and 8-bit bytes in other headers: no crash, pass', 'pass')
one(good.replace(b'\r\n', b'\n'), 'bare LF line ends are fixed', 'pass')

ok(not noisy, 'every run exited 0 with nothing on stderr '
   '(no sanitizer reports)')
dns.stop()
print('1..%d' % n)
sys.exit(1 if failed else 0)
