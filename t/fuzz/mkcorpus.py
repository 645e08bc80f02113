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
    return seeds + [psl_variant(x) for x in seeds[:6]]


def psl_variant(seed):
    """The same input for fuzz_message's second runtime (PSL discovery,
    MultipleFrom reject, Enforcement off): option word "psl"."""
    zone, rest = seed.split(b'\n%%\n', 1)
    env, msg = rest.split(b'\n', 1)
    return zone + b'\n%%\n' + env + b' psl\n' + msg


def authres_parse():
    return [b'mx.example.org; spf=pass smtp.mailfrom=example.com; '
            b'dkim=pass (good) header.d=example.com header.s=sel '
            b'header.b=abc/+d=; dmarc=pass header.from=example.com '
            b'policy.dmarc=reject',
            b'i=3; mx.example.org 1; none',
            b' "quoted id" (c (nested)); arc=pass smtp.remote-ip=192.0.2.1',
            b'mx; dkim=fail reason="bad sig" header.i=@example.com',
            b'mx; auth=pass smtp.auth=user@example.com; iprev=pass '
            b'policy.iprev=192.0.2.1',
            b'mx; spf=pass smtp.mailfrom=' + b'a' * 400,
            b'\r\n\tmx.example.org;\r\n\tspf=none']


RUA_2 = b"""<?xml version="1.0" encoding="UTF-8"?>
<feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0">
  <version>1.0</version>
  <report_metadata><org_name>Receiver</org_name>
    <email>dmarc@receiver.example</email><report_id>r-1</report_id>
    <date_range><begin>1700000000</begin><end>1700086399</end></date_range>
    <generator>x</generator></report_metadata>
  <policy_published><domain>example.com</domain><p>reject</p><sp>none</sp>
    <np>quarantine</np><adkim>r</adkim><aspf>s</aspf><testing>n</testing>
    <discovery_method>treewalk</discovery_method></policy_published>
  <record><row><source_ip>192.0.2.1</source_ip><count>3</count>
    <policy_evaluated><disposition>pass</disposition><dkim>pass</dkim>
    <spf>fail</spf><reason><type>local_policy</type><comment>x</comment>
    </reason></policy_evaluated></row>
    <identifiers><header_from>example.com</header_from>
    <envelope_from>bounce.example.com</envelope_from></identifiers>
    <auth_results><dkim><domain>example.com</domain><selector>s</selector>
    <result>pass</result></dkim><spf><domain>bounce.example.com</domain>
    <scope>mfrom</scope><result>fail</result></spf></auth_results>
  </record>
  <record><row><source_ip>2001:db8::1</source_ip><count>7</count>
    <policy_evaluated><disposition>reject</disposition><dkim>fail</dkim>
    <spf>fail</spf></policy_evaluated></row>
    <identifiers><header_from>EXAMPLE.com.</header_from></identifiers>
    <auth_results><spf><domain>x.example</domain><result>softfail</result>
    </spf></auth_results></record>
</feedback>
"""


def rua_xml():
    old = RUA_2.replace(b' xmlns="urn:ietf:params:xml:ns:dmarc-2.0"', b'')
    old = old.replace(b'<disposition>pass</disposition>',
                      b'<disposition>none</disposition>')
    seeds = [RUA_2, old,
             old.replace(b'<feedback>',
                         b'<feedback xmlns="http://dmarc.org/dmarc-xml/0.1">'),
             b'<?xml version="1.0"?><!DOCTYPE feedback [<!ENTITY a "aaaa">'
             b'<!ENTITY b "&a;&a;&a;">]><feedback>&b;</feedback>',
             b'<?xml version="1.0" encoding="ISO-8859-1"?><feedback>'
             b'<report_metadata><org_name>\xe9</org_name></report_metadata>'
             b'</feedback>',
             b'<feedback><record>' * 50]
    sample = os.path.join(os.path.dirname(TOP), 'shared', 'specs',
                          'dmarc-aggregate-2.0-sample.xml')
    if os.path.exists(sample):
        with open(sample, 'rb') as f:
            seeds.append(f.read())
    return seeds


def unpack():
    """Containers: gzip, zip (also overlapping entries), a MIME email with
    a TAB-folded, RFC 2231 named attachment, an mbox, nesting."""
    import base64
    import gzip
    from reportgen import overlapping_zip as overlapping, zip_of as zipped
    xml = RUA_2

    gz = gzip.compress(xml, mtime=0)
    mail = (b'From: r@example.net\r\nContent-Type: multipart/mixed;\r\n'
            b'\tboundary="b1"\r\n\r\n--b1\r\nContent-Type: '
            b'application/x-gzip-compressed\r\nContent-Disposition: '
            b'attachment;\r\n\tfilename*=UTF-8\'\'r%21x.xml.gzip\r\n'
            b'Content-Transfer-Encoding: base64\r\n\r\n' +
            base64.encodebytes(gz).replace(b'\n', b'\r\n') +
            b'\r\n--b1--\r\n')
    return [gz, gz + b'\r\n', zipped([('a.xml', xml), ('b.xml.gz', gz)]),
            overlapping(xml, 4), gzip.compress(zipped([('r.xml.gz', gz)]),
                                               mtime=0),
            mail, b'From x\n' + mail + b'From y\n' + mail]


def arc():
    import dkim
    import dkimtest
    key = dkimtest.Key.rsa(1024)
    zone = [zone_txt('arc._domainkey.example.com', key.record()),
            zone_txt('arc._domainkey.example.net', key.record()),
            'bad._domainkey.example.com SERVFAIL']
    seeds = []
    msg = dkimtest.message(extra_headers=[
        'Authentication-Results: hop1.example.com; spf=pass '
        'smtp.mailfrom=example.com'])
    for hops in (1, 2, 3):
        m = msg
        for i in range(hops):
            dom = b'example.com' if i % 2 == 0 else b'example.net'
            srv = b'hop1.example.com'
            hdrs = dkim.arc_sign(m, b'arc', dom, key.private, srv,
                                 timestamp=1700000000 + i)
            m = b''.join(hdrs) + m
            m = (b'Authentication-Results: hop1.example.com; arc=pass\r\n'
                 + m)
        seeds.append(make(zone, envelope(), m))
    seeds.append(make(zone, envelope(), seeds[1].split(b'%%\n', 1)[1]
                      .split(b'\n', 1)[1].replace(b'Hello.', b'Hullo.')))
    seeds.append(make(zone, envelope(), b'ARC-Seal: i=51; cv=none; a=rsa-'
                      b'sha256; d=example.com; s=arc; b=AAAA\r\n'
                      b'ARC-Seal: i=0; cv=pass\r\nFrom: a@example.com\r\n'
                      b'\r\nbody\r\n'))
    return seeds


def spool():
    """Spool files (history/spool.h): the mode byte (odd: the target sets
    the checksums), then the file.  Valid files of 0, 1 and 3 records,
    and damaged ones."""
    import struct
    import zlib

    def field(v):
        if v is None:
            return struct.pack('<I', 0xffffffff)
        return struct.pack('<I', len(v)) + v

    def record(i):
        msg = [b'1700000000'] + [b'example.com' if k % 2 else b''
                                 for k in range(1, 40)]
        msg[3] = None
        msg += [b'00000000000000ab-%d' % i, b'mx1.example']
        p = b''.join(field(v) for v in msg)
        rcpt = [b'rcpt.example'] * (i % 3)
        p += struct.pack('<I', len(rcpt)) + b''.join(map(field, rcpt))
        dk = [[b'd.example', b'sel', b'pass', b'1', b'']] * (i % 2)
        p += struct.pack('<I', len(dk)) + b''.join(
            field(v) for d in dk for v in d)
        ov = [[b'local_policy', b'\xc3\xa9t\xc3\xa9']] * (i == 2)
        p += struct.pack('<I', len(ov)) + b''.join(
            field(v) for o in ov for v in o)
        p += struct.pack('<I', 1 if i == 1 else 0)
        if i == 1:
            p += b''.join(field(b'Subject: x\r\n') for _ in range(4))
        return struct.pack('<II', len(p), zlib.crc32(p)) + p

    def spoolfile(n):
        body = b''.join(record(i) for i in range(n))
        h = b'DWSPOOL\n' + struct.pack('<IIQ', 1, n, len(body))
        return h + struct.pack('<I', zlib.crc32(h)) + body

    one, three = spoolfile(1), spoolfile(3)
    return [b'\0' + spoolfile(0), b'\0' + one, b'\0' + three,
            b'\1' + three, b'\0' + three[:-7], b'\1' + three[:200],
            b'\0' + three[:40] + b'\xff' + three[41:],
            b'\1' + one.replace(b'\x27\x00\x00\x00', b'\x09\x00\x00\x00'),
            b'\0DWSPOOL\n']


def main(argv):
    gens = {'fuzz_from_header': from_header, 'fuzz_dmarc_record':
            dmarc_record, 'fuzz_config': config, 'fuzz_spf_syntax':
            spf_syntax, 'fuzz_netlist': netlist, 'fuzz_authres': authres,
            'fuzz_authres_parse': authres_parse, 'fuzz_rua_xml': rua_xml,
            'fuzz_arc': arc, 'fuzz_unpack': unpack, 'fuzz_spool': spool}
    wanted = argv[1:] or list(gens) + ['fuzz_message', 'fuzz_dkim']
    msgs = None
    for t in wanted:
        if t in ('fuzz_message', 'fuzz_dkim'):
            if msgs is None:
                msgs = messages()
            # The whole-message target also gets the ARC-sealed seeds.
            write(t, msgs + (arc()[:3] if t == 'fuzz_message' else []))
        else:
            write(t, gens[t]())


if __name__ == '__main__':
    main(sys.argv)
