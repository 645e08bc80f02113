#!/usr/bin/python3
"""arc_crosscheck - our ARC verdicts against python3-dkim's on messages
python3-dkim sealed.

Keys are generated at run time (t/lib/dkimtest.py) and published in one
testdns zone; t/lib/arctest.py seals messages with python3-dkim
(dkim.ARC.sign, the code behind dkim.arc_sign) the way intermediaries do,
and every message is verified twice: by t/tools/arcverify (milter/arc.c,
keys from testdns through the shared resolver) and by python3-dkim's
dkim.arc_verify (keys from the same records through dnsfunc=).  For each
message the two chain statuses must agree, must equal what the scenario
expects, and for a passing chain the oldest passing AMS instance must
agree too.  Scenarios: chains of 1, 2, 3 and 10 hops, bodies and headers
changed after sealing (a footer, a subject tag, an added From, refolding
and whitespace that relaxed canonicalization absorbs), tampered seals,
AARs and cv= values, missing and duplicated ARC fields, a hop that marks
the chain cv=fail, ed25519 keys (alone and mixed with RSA), a 512-bit
key, a revoked and a missing key.  One more message, whose sets are not
stacked newest-on-top, is a known difference (see the test): we follow
RFC 8617 5.1.1 and it is not counted as agreement.  Streaming is checked by verifying some
messages again with 1- and 7-byte body chunks.  The last line gives the
agreement count.

python3-dkim 1.1.4 leaves ed25519-sha256 out of the algorithms it accepts
for ARC; arctest.verify() adds it for the call (see t/lib/arctest.py), and
this test also shows the unmodified library's verdict on one ed25519
chain as a diagnostic.
"""
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
DRIVER = os.path.join(TOP, 't', 'tools', 'arcverify')
sys.path.insert(0, os.path.join(TOP, 't', 'lib'))

import tap  # noqa: E402


# Verified again in small body chunks (streaming body hash).
STREAMED = ('1 hop, rsa-sha256', '3 hops', 'empty body, 1 hop',
            'list adds a footer, then seals (hop 2)',
            'blank lines and trailing spaces added to the body',
            '1 hop, ed25519-sha256')


def body_of(msg):
    return msg.split(b'\r\n\r\n', 1)


def add_footer(msg, text=b'--\r\nlist footer\r\n'):
    return msg + text


def replace_header(msg, name, new_line):
    """Replace the first header field called name (with its folds)."""
    head, body = body_of(msg)
    pat = re.compile(rb'(?im)^' + re.escape(name) +
                     rb':.*(?:\r\n[ \t].*)*')
    return pat.sub(new_line.replace(b'\\', b'\\\\'), head, count=1) + \
        b'\r\n\r\n' + body


def fields(msg):
    head, _ = body_of(msg)
    return re.findall(rb'[^\r\n]+(?:\r\n[ \t][^\r\n]*)*', head)


def drop_fields(msg, pred):
    head, body = body_of(msg)
    kept = [f for f in fields(msg) if not pred(f)]
    return b'\r\n'.join(kept) + b'\r\n\r\n' + body


def arc_field(kind, inst):
    def pred(f):
        return (f.lower().startswith(kind.lower() + b':') and
                re.search(rb'\bi\s*=\s*%d\s*;' % inst, f) is not None)
    return pred


def is_arc(inst):
    def pred(f):
        return any(arc_field(k, inst)(f) for k in
                   (b'ARC-Seal', b'ARC-Message-Signature',
                    b'ARC-Authentication-Results'))
    return pred


def tamper_b(msg, kind, inst):
    """Flip one character of the b= value of an ARC field."""
    head, body = body_of(msg)
    out = []
    for f in fields(msg):
        if arc_field(kind, inst)(f):
            m = re.search(rb'\bb=\s*([A-Za-z0-9+/])', f)
            c = m.group(1)
            f = f[:m.start(1)] + (b'A' if c != b'A' else b'B') + \
                f[m.end(1):]
        out.append(f)
    return b'\r\n'.join(out) + b'\r\n\r\n' + body


def edit_field(msg, kind, inst, old, new):
    head, body = body_of(msg)
    out = [f.replace(old, new, 1) if arc_field(kind, inst)(f) else f
           for f in fields(msg)]
    return b'\r\n'.join(out) + b'\r\n\r\n' + body


def duplicate(msg, kind, inst):
    head, body = body_of(msg)
    f = [x for x in fields(msg) if arc_field(kind, inst)(x)][0]
    return f + b'\r\n' + msg


def scenarios(K, arctest, dkimtest):
    """(name, message, expected cv, expected oldest_pass or None)."""
    base = dkimtest.message(frm='Alice <alice@origin.example>',
                            to='list@lists.example',
                            subject='ARC cross-check',
                            body='Hello list,\n\nthis is a test.\n')
    rsa, rsa2, rsa3, ed, weak, revoked, missing = (
        K['rsa'], K['rsa2'], K['rsa3'], K['ed'], K['weak'], K['revoked'],
        K['missing'])

    def hop(msg, k, cv):
        return arctest.seal(msg, k[0], k[1], k[2], 'mx.' + k[2], cv=cv)

    one = hop(base, rsa, 'none')
    two = hop(one, rsa2, 'pass')
    three = hop(two, rsa3, 'pass')
    s = []
    s.append(('1 hop, rsa-sha256', one, 'pass', 1))
    s.append(('2 hops', two, 'pass', 1))
    s.append(('3 hops', three, 'pass', 1))
    ten = one
    for i in range(2, 11):
        ten = hop(ten, (rsa, rsa2, rsa3)[i % 3], 'pass')
    s.append(('10 hops', ten, 'pass', 1))
    s.append(('empty body, 1 hop',
              hop(body_of(base)[0] + b'\r\n\r\n', rsa, 'none'), 'pass', 1))
    s.append(('body changed after the only seal', add_footer(one),
              'fail', None))
    s.append(('body changed after the newest seal', add_footer(three),
              'fail', None))
    s.append(('list adds a footer, then seals (hop 2)',
              hop(add_footer(one), rsa2, 'pass'), 'pass', 2))
    tagged = replace_header(two, b'Subject',
                            b'Subject: [list] ARC cross-check')
    s.append(('subject tagged at hop 3, then sealed',
              hop(tagged, rsa3, 'pass'), 'pass', 3))
    s.append(('subject tagged after the newest seal', tagged, 'fail', None))
    s.append(('unsigned header added after sealing',
              b'X-Scanned: yes\r\n' + two, 'pass', 1))
    s.append(('second From added above the seals (From is over-signed)',
              b'From: mallory@evil.example\r\n' + two, 'fail', None))
    s.append(('subject refolded after sealing (relaxed)',
              replace_header(one, b'Subject',
                             b'Subject:  ARC\r\n\tcross-check  '),
              'pass', 1))
    s.append(('blank lines and trailing spaces added to the body',
              add_footer(one.replace(b'this is a test.',
                                     b'this is  a test.  '), b'\r\n\r\n'),
              'pass', 1))
    s.append(('signed headers reordered (To below Subject)',
              swap_to_subject(one), 'pass', 1))
    s.append(('AS(1) b= tampered', tamper_b(two, b'ARC-Seal', 1),
              'fail', None))
    s.append(('AS(2) b= tampered', tamper_b(two, b'ARC-Seal', 2),
              'fail', None))
    s.append(('AS(2) cv=pass changed to cv=none',
              edit_field(two, b'ARC-Seal', 2, b'cv=pass', b'cv=none'),
              'fail', None))
    s.append(('AAR(1) rewritten (dkim=pass)',
              edit_field(two, b'ARC-Authentication-Results', 1,
                         b'spf=pass', b'spf=pass; dkim=pass'), 'fail', None))
    s.append(('AMS(1) b= tampered (both seals cover it)',
              tamper_b(two, b'ARC-Message-Signature', 1), 'fail', None))
    s.append(('set 1 missing', drop_fields(two, is_arc(1)), 'fail', None))
    s.append(('AS(2) missing', drop_fields(two, arc_field(b'ARC-Seal', 2)),
              'fail', None))
    s.append(('AAR(1) duplicated',
              duplicate(two, b'ARC-Authentication-Results', 1), 'fail',
              None))
    s.append(('hop 2 marks the chain cv=fail',
              hop(add_footer(one), rsa2, 'fail'), 'fail', None))
    e1 = hop(base, ed, 'none')
    s.append(('1 hop, ed25519-sha256', e1, 'pass', 1))
    s.append(('rsa hop then ed25519 hop', hop(one, ed, 'pass'), 'pass', 1))
    s.append(('ed25519 hop then rsa hop, body changed between',
              hop(add_footer(e1), rsa, 'pass'), 'pass', 2))
    s.append(('ed25519, body changed after sealing', add_footer(e1),
              'fail', None))
    s.append(('ed25519, seal tampered', tamper_b(e1, b'ARC-Seal', 1),
              'fail', None))
    s.append(('512-bit RSA key (RFC 8301)', hop(base, weak, 'none'),
              'fail', None))
    s.append(('revoked key (empty p=)', hop(base, revoked, 'none'),
              'fail', None))
    s.append(('no key record', hop(base, missing, 'none'), 'fail', None))
    s.append(('no ARC at all', base, 'none', None))
    return s


def swap_to_subject(msg):
    head, body = body_of(msg)
    fl = fields(msg)
    ti = [i for i, f in enumerate(fl) if f.lower().startswith(b'to:')][0]
    si = [i for i, f in enumerate(fl) if
          f.lower().startswith(b'subject:')][0]
    fl[ti], fl[si] = fl[si], fl[ti]
    return b'\r\n'.join(fl) + b'\r\n\r\n' + body


def make_keys(arctest, dkimtest):
    keys = arctest.KeyTable()
    K = {
        'rsa': (dkimtest.Key.rsa(2048), 'hop1', 'origin-relay.example'),
        'rsa2': (dkimtest.Key.rsa(1024), 'hop2', 'lists.example'),
        'rsa3': (dkimtest.Key.rsa(2048), 's2024', 'forward.example'),
        'ed': (dkimtest.Key.ed25519(), 'ed', 'edsealer.example'),
        'weak': (dkimtest.Key.rsa(512), 'weak', 'weak.example'),
        'revoked': (dkimtest.Key.rsa(1024), 'old', 'revoked.example'),
        'missing': (dkimtest.Key.rsa(1024), 'gone', 'missing.example'),
    }
    for name, (key, sel, dom) in K.items():
        if name == 'revoked':
            keys.add(sel, dom, key, record='v=DKIM1; k=rsa; p=')
        elif name != 'missing':
            keys.add(sel, dom, key)
    return keys, K


def main():
    if not os.access(DRIVER, os.X_OK):
        tap.skip_all('%s not built' % DRIVER)
    try:
        import dkim  # noqa: F401
        import nacl  # noqa: F401
    except ImportError as e:
        tap.skip_all('python3-dkim or python3-nacl missing: %s' % e)
    import arctest
    import dkimtest
    from testdns import TestDNS

    start = time.time()
    keys, K = make_keys(arctest, dkimtest)
    cases = scenarios(K, arctest, dkimtest)
    agree = 0
    with TestDNS(keys.zone()) as dns:
        for name, msg, want, oldest in cases:
            ours = arctest.run_arcverify(DRIVER, dns.port, msg)
            theirs, their_oldest, why = arctest.verify(msg, keys)
            got = ours.get('cv', 'crash')
            if ours['exit'] != 0 or ours['stderr']:     # sanitizers
                got = 'crash(exit %d): %s' % (ours['exit'],
                                              ours['stderr'][:200])
            same = got == theirs and (got != 'pass' or
                                      int(ours['oldest_pass']) ==
                                      their_oldest)
            agree += same
            tap.ok(same and got == want and
                   (oldest is None or int(ours['oldest_pass']) == oldest),
                   '%s: ours %s (oldest %s), python3-dkim %s (oldest %s),'
                   ' expected %s' % (name, got, ours.get('oldest_pass'),
                                     theirs, their_oldest, want))
            if not same or got != want:
                tap.diag('ours: %s' % ours.get('reason'))
                tap.diag('python3-dkim: %s' % why)
        byname = dict((c[0], c) for c in cases)
        for name in STREAMED:
            _, msg, want, _ = byname[name]
            for chunk in (1, 7):
                r = arctest.run_arcverify(DRIVER, dns.port, msg,
                                          chunk=chunk)
                tap.is_(r.get('cv'), want, '%s, %d-byte body chunks'
                        % (name, chunk))
        # Known difference, not counted: python3-dkim picks the fields a
        # seal covers by position (bottom-up by name), so sets that are
        # not stacked newest-on-top fail there; RFC 8617 5.1.1 hashes the
        # sets "in increasing instance order", wherever they sit.
        two = byname['2 hops'][1]
        fl = fields(two)
        moved = b'\r\n'.join(fl[3:6] + fl[0:3] + fl[6:]) + b'\r\n\r\n' + \
            body_of(two)[1]
        r = arctest.run_arcverify(DRIVER, dns.port, moved)
        theirs = arctest.verify(moved, keys)
        tap.is_(r.get('cv'), 'pass', 'set 2 moved below set 1: pass '
                '(RFC 8617 5.1.1 instance order; python3-dkim says %s: %s)'
                % (theirs[0], theirs[2]))
        ed_name = '1 hop, ed25519-sha256'
        plain = arctest.verify(byname[ed_name][1], keys, ed25519=False)
        tap.diag('unmodified python3-dkim on "%s": %s (%s)'
                 % (ed_name, plain[0], plain[2]))
    tap.diag('%d/%d agree with python3-dkim, %.1fs'
             % (agree, len(cases), time.time() - start))
    return tap.done_testing()


if __name__ == '__main__':
    sys.exit(main())
