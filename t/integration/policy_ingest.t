#!/usr/bin/python3
"""policy_ingest.t - dmarcwarden-policy ingest against malformed and hostile
input: truncated gzip, gzip and zip bombs (declared and lying sizes), XXE,
billion laughs, UTF-16 smuggling, wrong root element and namespace, bad
encoding, schema violations, duplicate report ids, bad emails, oversized
files.  Every file gets its own clear message, the batch goes on, and the
valid report at the end is stored."""

import base64
import gzip
import io
import os
import struct
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import harness  # noqa: E402
import reportgen  # noqa: E402
import tap  # noqa: E402
from reportgen import run  # noqa: E402

if not os.access(reportgen.TOOL, os.X_OK):
    tap.skip_all('policy/tool/dmarcwarden-policy not built')

out = harness.outdir('policy_ingest')
bad = os.path.join(out, 'in')
os.makedirs(bad)
db = os.path.join(out, 'reports.db')


def report(org='Hostile Org', rid='r1', root='feedback', ns=None, body=None,
           count='3', ip='192.0.2.1', disposition='none', prolog=''):
    attrs = ' xmlns="%s"' % ns if ns else ''
    inner = body if body is not None else (
        '<report_metadata><org_name>%s</org_name><email>a@b.example</email>'
        '<report_id>%s</report_id><date_range><begin>1772323200</begin>'
        '<end>1772409599</end></date_range></report_metadata>'
        '<policy_published><domain>victim.example</domain><p>none</p>'
        '</policy_published><record><row><source_ip>%s</source_ip>'
        '<count>%s</count><policy_evaluated><disposition>%s</disposition>'
        '<dkim>fail</dkim><spf>fail</spf></policy_evaluated></row>'
        '<identifiers><header_from>victim.example</header_from>'
        '</identifiers><auth_results><spf><domain>victim.example</domain>'
        '<result>fail</result></spf></auth_results></record>'
        % (org, rid, ip, count, disposition))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n%s<%s%s>%s</%s>\n'
            % (prolog, root, attrs, inner, root)).encode()


def zip_bytes(name, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return buf.getvalue()


def patch_zip_usize(data, usize):
    """Make both headers of a one-member zip lie about its size."""
    b = bytearray(data)
    struct.pack_into('<I', b, 22, usize)                 # local header
    cd = b.find(b'PK\x01\x02')
    struct.pack_into('<I', b, cd + 24, usize)            # central dir
    return bytes(b)


def email(parts, boundary='XYZ'):
    head = ('From: r@rep.example\r\nTo: d@victim.example\r\nSubject: Report '
            'Domain: victim.example\r\nMIME-Version: 1.0\r\n')
    if parts is None:
        return (head + 'Content-Type: text/plain\r\n\r\nno report here\r\n'
                ).encode()
    body = head + 'Content-Type: multipart/mixed; boundary="%s"\r\n\r\n' \
        % boundary
    for ctype, cte, payload in parts:
        body += '--%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: ' \
            '%s\r\nContent-Disposition: attachment; filename="r.xml.gz"' \
            '\r\n\r\n%s\r\n' % (boundary, ctype, cte, payload)
    return (body + '--%s--\r\n' % boundary).encode()


valid = report(rid='ok-1')
laughs = ('<!DOCTYPE lolz [<!ENTITY lol "lol">' + ''.join(
    '<!ENTITY lol%d "%s">' % (i, ('&lol%d;' % (i - 1) if i else '&lol;') * 10)
    for i in range(10)) + ']>\n')
xxe = '<!DOCTYPE feedback [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
gz_valid = gzip.compress(valid, mtime=0)
bomb_gz = gzip.compress(b'<' + b' ' * (3 << 20), mtime=0)
bomb_zip = zip_bytes('bomb.xml', b'<' + b' ' * (3 << 20))
lying_zip = patch_zip_usize(bomb_zip, 1000)
enc_zip = bytearray(zip_bytes('r.xml', valid))
enc_zip[6] |= 1
enc_zip[enc_zip.find(b'PK\x01\x02') + 8] |= 1

CASES = [
    # file name, content, expected message (regex)
    ('01-truncated.xml.gz', gz_valid[:len(gz_valid) // 2],
     r'rejected: truncated compressed data'),
    ('02-gzip-bomb.xml.gz', bomb_gz,
     r'rejected: decompressed size exceeds 1048576 bytes \(refused: '
     r'possible zip bomb\)'),
    ('03-zip-bomb.zip', bomb_zip,
     r'rejected: zip member bomb\.xml: declared size 3145729 exceeds '
     r'1048576 bytes'),
    ('04-zip-lying.zip', lying_zip,
     r'rejected: zip member bomb\.xml: decompressed size exceeds 1000 bytes'
     r'.*more than its declared size'),
    ('05-zip-truncated.zip', zip_bytes('r.xml', valid)[:60],
     r'rejected: no zip end-of-central-directory record'),
    ('06-zip-encrypted.zip', bytes(enc_zip),
     r'rejected: zip member r\.xml: encrypted'),
    ('07-xxe.xml', report(rid='xxe', org='&xxe;', prolog=xxe),
     r'rejected: DOCTYPE or ENTITY declaration refused'),
    ('08-billion-laughs.xml', report(rid='lol', org='&lol9;',
                                     prolog=laughs),
     r'rejected: DOCTYPE or ENTITY declaration refused'),
    ('09-utf16-xxe.xml', ('<?xml version="1.0" encoding="UTF-16"?>\n' + xxe +
                          '<feedback>&xxe;</feedback>').encode('utf-16'),
     r'rejected: NUL byte at offset \d+'),
    ('09b-utf16le-no-bom.xml', ('<?xml version="1.0" encoding="UTF-16"?>'
                                '<feedback/>').encode('utf-16-le'),
     r'rejected: NUL byte at offset 1 \(binary, UTF-16'),
    ('10-wrong-root.xml', report(root='html'),
     r'rejected: root element is <html>, expected <feedback>'),
    ('11-wrong-ns.xml', report(ns='urn:example:not-dmarc'),
     r'rejected: unknown namespace "urn:example:not-dmarc"'),
    ('12-bad-utf8.xml', report(org='Caf\xe9').replace(b'Caf\xc3\xa9',
                                                      b'Caf\xe9'),
     r'rejected: malformed XML at line 2: .*UTF-8'),
    ('13-no-report-id.xml', report(rid='').replace(
        b'<report_id></report_id>', b''),
     r'rejected: report_metadata: <report_id> is missing'),
    ('14-bad-count.xml', report(rid='c', count='-5'),
     r'rejected: record 1: <count> is not a valid non-negative integer'),
    ('15-bad-ip.xml', report(rid='ip', ip='999.1.1.1'),
     r'rejected: record 1: <source_ip> is not an IP address'),
    ('16-pass-in-7489.xml', report(rid='p', disposition='pass'),
     r'rejected: record 1: <disposition> has a value outside the schema'),
    ('17-undeclared-entity.xml', report(rid='e', org='&foo;'),
     r'rejected: malformed XML at line 2: Entity .foo. not defined'),
    ('18-not-closed.xml', report(rid='t')[:-30],
     r'rejected: malformed XML at line 2'),
    ('19-deep.xml', b'<feedback>' + b'<a>' * 3000 + b'</a>' * 3000 +
     b'</feedback>', r'rejected: malformed XML at line 1: .*[Dd]epth'),
    ('20-no-records.xml', report(rid='n').split(b'<record>')[0] +
     b'</feedback>\n', r'rejected: report holds no <record>'),
    ('21-mail-no-attachment.eml', email(None),
     r'rejected: email holds no report attachment'),
    ('22-mail-bad-base64.eml', email([('application/gzip', 'base64',
                                        '!!!not base64!!!')]),
     r'rejected: attachment r\.xml\.gz: bad transfer encoding'),
    ('23-mail-truncated-gzip.eml', email([('application/gzip', 'base64',
                                           base64.b64encode(gz_valid[:40])
                                           .decode())]),
     r'\[r\.xml\.gz\]: rejected: truncated compressed data'),
    ('24-empty.xml', b'', r'rejected: empty'),
    ('25-binary.bin', bytes(range(256)) * 4,
     r'rejected: not a report \(neither XML, gzip, zip nor an email\)'),
    ('26-too-large.xml', b'<' + b' ' * (2 << 20),
     r'rejected: file larger than 1048576 bytes'),
    ('27-dup-a.xml', report(org='Dup Org', rid='same-id'),
     r'stored Dup Org report same-id for victim\.example'),
    ('28-dup-b.xml', report(org='Dup Org', rid='same-id', count='999'),
     r'duplicate Dup Org report same-id \(already stored from .*27-dup-a'
     r'\.xml\)'),
    ('29-html-escape.xml', report(org='<script>', rid='x'),
     r'rejected: malformed XML'),
    ('30-zip-no-files.zip', b'PK\x05\x06' + b'\0' * 18,
     r'rejected: (zip archive holds no file|not a report)'),
    ('99-valid.xml.gz', gzip.compress(report(rid='ok-2', ip='192.0.2.99'),
                                      mtime=0),
     r'stored Hostile Org report ok-2 for victim\.example \(rfc7489, 1 '
     r'records, 3 messages\)'),
]

for name, data, _ in CASES:
    with open(os.path.join(bad, name), 'wb') as f:
        f.write(data)

rc, so, se = run(['ingest', '--db', db, '--max-size', str(1 << 20),
                  '--max-xml', str(1 << 20), bad], timeout=120)
lines = dict((ln.split(': ', 1)[0].split('/')[-1].split('[')[0], ln)
             for ln in so.splitlines() if ln.startswith(bad))
for name, _, pattern in CASES:
    tap.like(lines.get(name), pattern, name)
n_bad = sum(1 for _, _, p in CASES if 'rejected' in p)
tap.like(so, r'ingest: %d files, 2 reports stored \(2 records, 6 messages\), '
         r'1 duplicates, %d rejected' % (len(CASES), n_bad),
         'summary: only the two valid reports stored, the batch went on')
tap.is_(rc, 1, 'exit status 1 when some file was rejected')
tap.is_(se, '', 'nothing on stderr')

with open(db, 'rb') as f:
    raw = f.read()
tap.ok(b'root:' not in raw, 'no /etc/passwd content in the database')

# the stored duplicate kept its first content
import sqlite3  # noqa: E402
con = sqlite3.connect(db)
tap.is_(con.execute("SELECT count FROM records r JOIN reports p ON "
                    "r.report = p.id WHERE p.report_id = 'same-id'")
        .fetchall(), [(3,)], 'duplicate report id: first copy kept')
tap.is_(con.execute('PRAGMA user_version').fetchone()[0], 1,
        'report database schema version')
con.close()

# a database that is not ours is refused, not altered
other = os.path.join(out, 'other.db')
con = sqlite3.connect(other)
con.execute('CREATE TABLE t (x)')
con.commit()
con.close()
rc, so, se = run(['ingest', '--db', other, os.path.join(bad, '99-valid.xml.gz')])
tap.is_(rc, 2, 'foreign database: exit 2')
tap.like(se, r'not a dmarcwarden-policy report database', 'says why')

# a missing path is reported and the rest goes on
rc, so, se = run(['ingest', '--rescan', '--db', db,
                  os.path.join(out, 'nope.xml'),
                  os.path.join(bad, '27-dup-a.xml')])
tap.like(so, r'nope\.xml: rejected: No such file or directory',
         'missing path: clear message')
tap.like(so, r'27-dup-a\.xml: duplicate', 'next path still processed')
rc, so, se = run(['ingest', '--db', db])
tap.is_(rc, 2, 'ingest without PATH: usage error')

sys.exit(tap.done_testing())
