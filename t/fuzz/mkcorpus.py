#!/usr/bin/python3
"""mkcorpus - (re)generate the seed corpora in t/fuzz/corpus/.

SYNOPSIS
    /usr/bin/python3 t/fuzz/mkcorpus.py [TARGET...]

DESCRIPTION
    Seeds come from the golden test inputs (t/data/from_header/from.in,
    t/data/dmarc_record/records.in, t/data/config/, the sample
    configuration, the SPF conformance suite in shared/ when present) and
    from small hand-written cases here.  The whole-message seeds
    (fuzz_message, fuzz_dkim) are signed with DKIM keys made on the spot,
    whose public halves travel in the seed's zone, so regenerating them
    changes their bytes but not what they cover.  Each file is named
    after a digest of its content; a target's directory is emptied first.
    Run it by hand after changing a parser's input format; the result is
    checked in.
"""

import hashlib
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, 't', 'lib'))
CORPUS = os.path.join(HERE, 'corpus')


def unescape(line):
    """Golden-file escapes: \\r \\n \\t \\0 \\s \\\\ \\xNN."""
    out = bytearray()
    i = 0
    raw = line.encode('utf-8', 'surrogateescape')
    while i < len(raw):
        c = raw[i:i + 1]
        if c == b'\\' and i + 1 < len(raw):
            n = raw[i + 1:i + 2]
            simple = {b'r': b'\r', b'n': b'\n', b't': b'\t', b'0': b'\0',
                      b's': b' ', b'\\': b'\\'}
            if n in simple:
                out += simple[n]
                i += 2
                continue
            if n == b'x' and re.match(rb'[0-9a-fA-F]{2}', raw[i + 2:i + 4]):
                out.append(int(raw[i + 2:i + 4], 16))
                i += 4
                continue
        out += c
        i += 1
    return bytes(out)


def golden_lines(path):
    with open(path, encoding='utf-8', errors='surrogateescape') as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('#') or not line:
                continue
            yield unescape(line)


def write(target, seeds):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(d):
        os.unlink(os.path.join(d, name))
    for s in seeds:
        name = hashlib.sha1(s).hexdigest()[:16]
        with open(os.path.join(d, name), 'wb') as f:
            f.write(s)
    print('%s: %d seeds' % (target, len(set(seeds))))


def from_header():
    return list(golden_lines(os.path.join(TOP, 't/data/from_header/from.in')))


def dmarc_record():
    seeds = list(golden_lines(os.path.join(TOP,
                                           't/data/dmarc_record/records.in')))
    seeds.append(b'v=DMARC1; p=reject\nv=spf1 -all\nv=DMARC1; p=none')
    seeds.append(b'v=DMARC1; p=reject; rua=mailto:a@b.example!10m,'
                 b'mailto:c@d.example; ruf=mailto:f@b.example; fo=1:d:s; '
                 b'pct=50; rf=afrf; ri=3600; t=y; psd=n; np=quarantine')
    return seeds


def config():
    seeds = []
    for sub in ('good', 'bad'):
        d = os.path.join(TOP, 't/data/config', sub)
        for name in sorted(os.listdir(d)):
            if name.endswith('.conf'):
                with open(os.path.join(d, name), 'rb') as f:
                    seeds.append(f.read())
    with open(os.path.join(TOP, 'contrib/dmarcwarden.conf'), 'rb') as f:
        seeds.append(f.read())
    seeds.append(b'IgnoreNetworks 127.0.0.0/8, ::1/128, 192.0.2.0/24\n'
                 b'IgnoreSenderDomains example.com, B\xc3\xbccher.example\n'
                 b'RejectText rejected by %d (100%%)\nUMask 007\n')
    return seeds


def spf_syntax():
    seeds = [b'v=spf1 -all', b'v=spf1 a mx ip4:192.0.2.0/24 ~all',
             b'v=spf1 include:_spf.example.com redirect=other.example',
             b'v=spf1 a:%{d}/24//64 exists:%{i}.%{l1r+-}.x.example ?all',
             b'v=spf1 ip6:2001:db8::/32 ptr:%{p} exp=explain.%{d} -all',
             b'v=spf1 ip4:0.0.0.0/0 mx/0 a//0 -all',
             b'v=spf1 foo=bar redirect=a.example redirect=b.example']
    suite = os.path.join(os.path.dirname(TOP), 'shared', 'conformance',
                         'spf', 'rfc7208-tests.yml')
    if os.path.exists(suite):
        import yaml
        with open(suite, 'rb') as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        for doc in docs:
            for rrs in (doc.get('zonedata') or {}).values():
                for rr in rrs:
                    if not isinstance(rr, dict):
                        continue
                    for k in ('TXT', 'SPF'):
                        v = rr.get(k)
                        if isinstance(v, list):
                            v = ''.join(v)
                        if isinstance(v, str) and v.lower().startswith('v=spf1'):
                            seeds.append(v.encode('utf-8', 'replace'))
    return sorted(set(seeds))[:200]


def netlist():
    return [b'127.0.0.0/8, ::1/128', b'192.0.2.1', b'::ffff:192.0.2.0/120',
            b'10.0.0.0/8 172.16.0.0/12\t192.168.0.0/16', b'',
            b'2001:db8::/32,fe80::/10', b'0.0.0.0/0, ::/0',
            b'IPv6:2001:db8::1/128', b'192.0.2.1/33', b'192.0.2.1/24']


def authres():
    return [b'mx.test.local; spf=pass smtp.mailfrom=example.com',
            b' (comment (nested)) "quoted \\" id"; dkim=pass',
            b'\r\n\tmx.test.local;\r\n\tdmarc=fail header.from=example.com',
            b'mx.fuzz.test\0example.com\0reason (x)\0example.com\0sel\0'
            b'abcdefgh\0bad signature\0example.com\0no policy',
            b'"a b"\0helo.example\0r\0\xff\xfe\0s\0b\0\x01\x02\0d\0x',
            b'(unterminated', b'"unterminated', b'id/with/slash; none']


# ---------------------------------------------------------------- messages
def zone_txt(name, text):
    return '%s TXT %s' % (name, text)


def envelope(ip='192.0.2.10', helo='mail.example.com',
             mailfrom='alice@example.com'):
    return '%s %s %s' % (ip, helo, mailfrom)


def make(zone, env, msg):
    return ('\n'.join(zone) + '\n%%\n' + env + '\n').encode() + msg


def messages():
    import dkimtest
    rsa = dkimtest.Key.rsa(1024)
    ed = dkimtest.Key.ed25519()
    base = [zone_txt('_dmarc.example.com', 'v=DMARC1; p=reject; '
                     'rua=mailto:d@example.com'),
            zone_txt('example.com', 'v=spf1 ip4:192.0.2.0/24 -all'),
            'example.com A 192.0.2.10', 'example.com MX 10 mx.example.com',
            'mx.example.com A 192.0.2.11',
            zone_txt('rsa._domainkey.example.com', rsa.record()),
            zone_txt('ed._domainkey.example.com', ed.record())]
    msg = dkimtest.message(body='Hello.\nSecond line.\n')
    seeds = []
    s1 = dkimtest.sign(msg, rsa, 'rsa', 'example.com')
    seeds.append(make(base, envelope(), s1))
    s2 = dkimtest.sign(s1, ed, 'ed', 'example.com', canon='relaxed/relaxed')
    seeds.append(make(base, envelope(ip='203.0.113.5'), s2))
    s3 = dkimtest.sign(msg, rsa, 'rsa', 'example.com', canon='simple/simple',
                       length=True)
    seeds.append(make(base, envelope(ip='203.0.113.5'), s3 + b'appended\r\n'))
    s4 = dkimtest.sign(msg, rsa, 'rsa', 'example.com', algorithm=b'rsa-sha1')
    seeds.append(make(base, envelope(), s4))
    # Broken and missing keys, DNS failures.
    bad = base + [zone_txt('x._domainkey.example.com', 'v=DKIM1; p=!!!'),
                  'y._domainkey.example.com SERVFAIL',
                  zone_txt('z._domainkey.example.com', 'v=DKIM1; k=ed25519; p=')]
    for sel in ('x', 'y', 'z', 'missing'):
        seeds.append(make(bad, envelope(), dkimtest.sign(msg, rsa, sel,
                                                         'example.com')))
    # Spoofed From, subdomains, np, psd, temperror, several From.
    spoof = dkimtest.message(frm='CEO <ceo@sub.example.com>',
                             extra_headers=['Authentication-Results: '
                                            'mx.fuzz.test; dmarc=pass'])
    seeds.append(make(base, envelope(ip='198.51.100.1',
                                     mailfrom='x@evil.example'), spoof))
    seeds.append(make(base + ['_dmarc.example.org TIMEOUT'],
                      envelope(mailfrom='<>', helo='helo.example.org'),
                      dkimtest.message(frm='a@example.org')))
    two = dkimtest.message(frm='a@example.com, b@example.net',
                           extra_headers=['From: c@example.org'])
    seeds.append(make(base, envelope(), two))
    seeds.append(make(base, envelope(),
                      b'Subject: no from\r\n\r\nbody\r\n'))
    seeds.append(make(base, envelope(),
                      dkimtest.message(frm='=?utf-8?q?ceo@example.com?= '
                                       '<x@\u00e9xample.com>')))
    seeds.append(make([zone_txt('_dmarc.example.com', 'v=DMARC1; p=none'),
                       zone_txt('example.com',
                                'v=spf1 include:a.example.com -all'),
                       zone_txt('a.example.com',
                                'v=spf1 include:example.com ~all'),
                       'example.com TXTWIRE \\xffv=spf1'],
                      envelope(), msg))
    seeds.append(b'From: a@example.com\r\nDKIM-Signature: v=1; a=rsa-sha256;'
                 b' d=example.com; s=rsa; h=from; bh=AAAA; b=AAAA\r\n\r\nx')
    return seeds


def main(argv):
    gens = {'fuzz_from_header': from_header, 'fuzz_dmarc_record':
            dmarc_record, 'fuzz_config': config, 'fuzz_spf_syntax':
            spf_syntax, 'fuzz_netlist': netlist, 'fuzz_authres': authres}
    wanted = argv[1:] or list(gens) + ['fuzz_message', 'fuzz_dkim']
    msgs = None
    for t in wanted:
        if t in ('fuzz_message', 'fuzz_dkim'):
            if msgs is None:
                msgs = messages()
            write(t, msgs)
        else:
            write(t, gens[t]())


if __name__ == '__main__':
    main(sys.argv)
