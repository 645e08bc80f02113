#!/usr/bin/python3
"""Bare CRs in DKIM bodies across chunks (milter/dkim.c, chunk_clean).

libopendkim's DKIM_LIBFLAGS_FIXCRLF turns a CR that is followed by
something other than LF into CRLF before hashing.  milter/dkim.c clears
the flag for chunks where it would change nothing and sets it again for
the others, so the hashes must stay those of the flag always set.  Here
bodies of many 64-byte chunks (as t/tools/dkimverify -c 64 hands them
over) have bare CRs in some chunks only, never at a chunk's first or last
byte, where the flag's effect is plain: a message signed over the body
with those CRs made CRLF must pass, one signed over the raw body must
fail, whatever the order of clean and dirty chunks, for simple and
relaxed body canonicalization."""

import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, 't', 'lib'))

import dkimtest                      # noqa: E402
import harness                       # noqa: E402
import tap                           # noqa: E402

TOOL = os.path.join(TOP, 't', 'tools', 'dkimverify')
CHUNK = 64


def chunk_text(rng, dirty):
    """64 bytes of CRLF lines; with dirty, bare CRs inside (not at the
    chunk's first or last byte)."""
    while True:
        words = []
        while sum(len(w) for w in words) < CHUNK:
            words.append(rng.choice([b'abc', b'de f', b'\r\n', b'gh ']))
        text = b''.join(words)[:CHUNK]
        if text.endswith(b'\r') or text.startswith(b'\n'):
            continue
        if b'\r' in text.replace(b'\r\n', b''):
            continue            # a CR cut from its LF at the end
        if not dirty:
            return text
        pos = rng.randrange(2, CHUNK - 2)
        if text[pos - 1:pos] in (b'\r',) or text[pos:pos + 1] == b'\n':
            continue
        return text[:pos] + b'\r' + text[pos + 1:]


def fixed(body):
    """What the flag hashes: every CR not followed by LF becomes CRLF."""
    out = bytearray()
    for i, c in enumerate(body):
        out += b'\r\n' if c == 13 and body[i + 1:i + 2] != b'\n' else \
            bytes([c])
    return bytes(out)


def verify(port, msg):
    with tempfile.NamedTemporaryFile(suffix='.eml') as f:
        f.write(msg)
        f.flush()
        r = subprocess.run([TOOL, '-n', '127.0.0.1@%d' % port, '-c',
                            str(CHUNK), f.name], capture_output=True,
                           text=True, timeout=60)
    if r.returncode != 0 or r.stderr:
        tap.diag('dkimverify exit %d: %s' % (r.returncode, r.stderr[-300:]))
    return r.stdout.split()[0] if r.stdout.strip() else 'none'


def main():
    if not os.access(TOOL, os.X_OK):
        tap.skip_all('t/tools/dkimverify not built')
    key = dkimtest.Key.rsa(1024)
    dns = harness.start_dns(key.zone_line('sel', 'crlf.example'))
    if dns is None:
        tap.skip_all('test DNS: %s' % harness.last_dns_error)
    rng = random.Random(6)
    patterns = ['CDC', 'DCCCD', 'CCCCD', 'DDDCC', 'CDCDCDCD', 'DDDD', 'CCC']
    for canon in ('simple/simple', 'relaxed/relaxed'):
        for n, pat in enumerate(patterns):
            body = b''.join(chunk_text(rng, c == 'D') for c in pat) + \
                b'end\r\n'
            head = ('From: a@crlf.example\r\nTo: b@test.local\r\n'
                    'Subject: %s %d\r\nMessage-ID: <%d.%s@crlf.example>'
                    '\r\n\r\n' % (pat, n, n, canon[0])).encode()
            good = dkimtest.sign(head + fixed(body), key, 'sel',
                                 'crlf.example', canon=canon)
            msg = good[:good.index(b'\r\n\r\n') + 4] + body
            tap.is_(verify(dns.port, msg), 'pass', '%s chunks %s: bare CRs '
                    'hashed as CRLF' % (canon, pat))
            if fixed(body) == body:
                continue
            raw = dkimtest.sign(head + body, key, 'sel', 'crlf.example',
                                canon=canon)
            if canon.startswith('simple'):
                tap.is_(verify(dns.port, raw), 'fail', '%s chunks %s: raw '
                        'bare CRs are not what is hashed' % (canon, pat))
    sys.exit(tap.done_testing())


main()
