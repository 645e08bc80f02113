#!/usr/bin/python3
"""reportgen - generate received DMARC aggregate reports for dmarcwarden-
policy's tests: several reporters, several days, both formats, every
container.

SYNOPSIS
    sys.path.insert(0, 't/lib'); import reportgen
    corpus = reportgen.generate(outdir)      # writes files, returns Corpus
    corpus.rows          # every (reporter, domain, day, source) record
    corpus.expected_class['example.com']['198.51.100.20'] == 'misaligned'
    corpus.ptr_zone()    # testdns zone text with the sources' PTR names

    /usr/bin/python3 t/lib/reportgen.py OUTDIR     (prints a summary)

DESCRIPTION
    Three domains, START (2026-03-01 00:00 UTC) plus DAYS (21) days, five
    reporters sending one report per domain per day:

      reporter      format                   container
      google.com    RFC 7489, no namespace   files/*.xml.gz (example.org:
                                             plain .xml)
      Yahoo         RFC 7489, dmarc-xml/0.1  files/*.zip
      Receiver Nine RFC 9990                 eml/*.eml, gzip attachment
      Outlook.com   RFC 7489, no namespace   reports.mbox, zip attachments
      Fastmail      RFC 9990                 maildir/{cur,new}, base64
                                             text/xml attachment

    example.com (published p=none): its own MTA (authorized), a second
    host that passes about 98.6% (authorized), an ESP that authenticates only
    as esp.example.net for news.example.com (authorized but misaligned),
    a forwarder (DKIM survives for 80% of messages, SPF always fails),
    a mailing list (our signature broken, the list's passes) and a
    spoofer (nothing authenticates).
    example.net (p=none): its MTA, a spoofer and a forwarder; clean enough
    for the first enforcement stage.
    example.org (p=quarantine; pct=25; t=y): its MTA and a spoofer; has
    held the ramp for the whole period, ready for p=quarantine.

    Counts are deterministic (random.Random(SEED)).  Every record the
    generator wrote is in corpus.rows as a dict with reporter, format
    ('rfc7489'/'rfc9990'), domain, header_from, day, ip, count,
    dkim_aligned, spf_aligned, so tests can recompute any figure
    independently of the C code.  One extra file, dup/*.xml, repeats a
    report already sent (same org_name and report_id) for the duplicate
    test.
"""

import gzip
import io
import mailbox
import os
import random
import struct
import subprocess
import sys
import zipfile
import zlib
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from xml.sax.saxutils import escape

START = 1772323200          # 2026-03-01 00:00:00 UTC
DAYS = 21
NOW = START + 22 * 86400    # --now for the tests: a day after the last
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, 'policy', 'tool', 'dmarcwarden-policy')
SEED = 7489
NS_7489 = 'http://dmarc.org/dmarc-xml/0.1'
NS_9990 = 'urn:ietf:params:xml:ns:dmarc-2.0'

REPORTERS = [
    # name, email, format, namespace, container, share of traffic
    ('google.com', 'noreply-dmarc-support@google.com', 'rfc7489', None,
     'gz', 0.40),
    ('Yahoo', 'dmarc_support@yahoo.com', 'rfc7489', NS_7489, 'zip', 0.20),
    ('Receiver Nine', 'dmarc@receiver9.example', 'rfc9990', NS_9990, 'eml',
     0.15),
    ('Outlook.com', 'dmarcreport@microsoft.com', 'rfc7489', None, 'mbox',
     0.15),
    ('Fastmail', 'dmarc@fastmail.example', 'rfc9990', NS_9990, 'maildir',
     0.10),
]

POLICIES = {
    'example.com': {'p': 'none', 'sp': 'none', 'pct': None, 't': 'n'},
    'example.net': {'p': 'none', 'sp': 'none', 'pct': None, 't': 'n'},
    'example.org': {'p': 'quarantine', 'sp': 'quarantine', 'pct': 25,
                    't': 'y'},
}

# Sources: ip, PTR name (None: no PTR), domain, header_from, messages/day,
# kind, expected class.  The kind decides the authentication results.
SOURCES = [
    ('192.0.2.10', 'mail.example.com', 'example.com', 'example.com', 300,
     'own', 'authorized'),
    ('192.0.2.11', 'mail2.example.com', 'example.com', 'example.com', 100,
     'own-flaky', 'authorized'),
    ('198.51.100.20', 'o1.esp.example.net', 'example.com',
     'news.example.com', 40, 'esp', 'misaligned'),
    ('203.0.113.5', 'fwd.forwarder.example', 'example.com', 'example.com',
     15, 'forwarder', 'forwarder'),
    ('203.0.113.80', 'mx.lists.example.org', 'example.com', 'example.com',
     10, 'list', 'mailing_list'),
    ('198.18.0.66', None, 'example.com', 'example.com', 30, 'spoof',
     'spoof'),
    ('192.0.2.20', 'mail.example.net', 'example.net', 'example.net', 120,
     'own', 'authorized'),
    ('198.18.0.99', None, 'example.net', 'example.net', 12, 'spoof',
     'spoof'),
    ('203.0.113.6', 'fwd2.forwarder.example', 'example.net', 'example.net',
     4, 'forwarder', 'forwarder'),
    ('192.0.2.30', 'mail.example.org', 'example.org', 'example.org', 80,
     'own', 'authorized'),
    ('198.18.0.77', None, 'example.org', 'example.org', 20, 'spoof',
     'spoof'),
]


def auth_for(kind, hf, domain, broken):
    """(policy dkim, policy spf, envelope_from, [(kind, domain, result)])"""
    if kind == 'own' or (kind == 'own-flaky' and not broken):
        return ('pass', 'pass', domain,
                [('dkim', domain, 'pass'), ('spf', domain, 'pass')])
    if kind == 'own-flaky':
        # a host missing from SPF that forgot to sign
        return ('fail', 'fail', domain, [('spf', domain, 'fail')])
    if kind == 'esp':
        return ('fail', 'fail', 'bounces.esp.example.net',
                [('dkim', 'esp.example.net', 'pass'),
                 ('spf', 'bounces.esp.example.net', 'pass')])
    if kind == 'forwarder':
        return ('fail' if broken else 'pass', 'fail', domain,
                [('dkim', domain, 'fail' if broken else 'pass'),
                 ('spf', domain, 'fail')])
    if kind == 'list':
        return ('fail', 'fail', 'lists.example.org',
                [('dkim', domain, 'fail'), ('dkim', 'lists.example.org',
                                            'pass'),
                 ('spf', 'lists.example.org', 'pass')])
    return ('fail', 'fail', hf, [('spf', hf, 'softfail')])


class Corpus:
    def __init__(self, outdir):
        self.outdir = outdir
        self.rows = []
        self.files = []
        self.reports = 0
        self.expected_class = {}
        for s in SOURCES:
            self.expected_class.setdefault(s[2], {})[s[0]] = s[6]

    def ptr_zone(self):
        lines = []
        for ip, ptr, *_ in SOURCES:
            if ptr:
                rev = '.'.join(reversed(ip.split('.'))) + '.in-addr.arpa'
                lines.append('%s PTR %s' % (rev, ptr))
                # forward-confirmed (FCrDNS), as real providers' names are
                lines.append('%s A %s' % (ptr, ip))
        return '\n'.join(lines) + '\n'


def record_xml(r, fmt):
    out = ['  <record>', '    <row>',
           '      <source_ip>%s</source_ip>' % r['ip'],
           '      <count>%d</count>' % r['count'],
           '      <policy_evaluated>',
           '        <disposition>%s</disposition>' % r['disposition'],
           '        <dkim>%s</dkim>' % r['pdkim'],
           '        <spf>%s</spf>' % r['pspf']]
    for reason in r['reasons']:
        out.append('        <reason><type>%s</type></reason>' % reason)
    out += ['      </policy_evaluated>', '    </row>', '    <identifiers>']
    if fmt == 'rfc9990':
        out.append('      <envelope_to>receiver.example</envelope_to>')
    out += ['      <envelope_from>%s</envelope_from>' % r['envelope_from'],
            '      <header_from>%s</header_from>' % r['header_from'],
            '    </identifiers>', '    <auth_results>']
    for kind, dom, res in r['auth']:
        if kind == 'dkim':
            out.append('      <dkim><domain>%s</domain><selector>s1'
                       '</selector><result>%s</result></dkim>' % (dom, res))
    for kind, dom, res in r['auth']:
        if kind == 'spf':
            out.append('      <spf><domain>%s</domain><scope>mfrom</scope>'
                       '<result>%s</result></spf>' % (dom, res))
    out += ['    </auth_results>', '  </record>']
    return '\n'.join(out)


def report_xml(rep, domain, day, records, report_id):
    name, email, fmt, ns, _, _ = rep
    pol = POLICIES[domain]
    begin = START + day * 86400
    attrs = ' xmlns="%s"' % ns if ns else ''
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<feedback%s>' % attrs]
    if fmt == 'rfc9990':
        out.append('  <version>1.0</version>')
    out += ['  <report_metadata>',
            '    <org_name>%s</org_name>' % escape(name),
            '    <email>%s</email>' % escape(email),
            '    <report_id>%s</report_id>' % escape(report_id),
            '    <date_range><begin>%d</begin><end>%d</end></date_range>'
            % (begin, begin + 86399)]
    if fmt == 'rfc9990':
        out.append('    <generator>reportgen 1.0</generator>')
    out += ['  </report_metadata>', '  <policy_published>',
            '    <domain>%s</domain>' % domain,
            '    <adkim>r</adkim>', '    <aspf>r</aspf>',
            '    <p>%s</p>' % pol['p'], '    <sp>%s</sp>' % pol['sp']]
    if fmt == 'rfc9990':
        out += ['    <np>%s</np>' % pol['sp'],
                '    <testing>%s</testing>' % pol['t'],
                '    <discovery_method>treewalk</discovery_method>']
    elif pol['pct'] is not None:
        out.append('    <pct>%d</pct>' % pol['pct'])
    out.append('  </policy_published>')
    out += [record_xml(r, fmt) for r in records]
    out.append('</feedback>')
    return ('\n'.join(out) + '\n').encode()


def disposition(rep_fmt, domain, dmarc_pass, rnd):
    """What the reporter did: none for passes; the published policy
    weakened by t=y (RFC 9990 receivers) or sampled by pct."""
    pol = POLICIES[domain]
    if dmarc_pass:
        return 'pass' if rep_fmt == 'rfc9990' else 'none'
    if pol['p'] == 'none':
        return 'none'
    if rep_fmt == 'rfc9990':
        return 'none' if pol['t'] == 'y' else pol['p']
    if pol['pct'] is not None and rnd.randrange(100) >= pol['pct']:
        return 'none'
    return pol['p']


def make_records(corpus, rep, domain, day, rnd):
    recs = []
    for ip, _, dom, hf, per_day, kind, cls in SOURCES:
        if dom != domain:
            continue
        total = max(1, int(round(per_day * rep[5] * rnd.uniform(0.8, 1.2))))
        if kind == 'own-flaky':
            broken = 1 if day % 4 == 0 else 0   # about 0.5% of its mail
            parts = [(total - broken, False), (broken, True)]
        elif kind == 'forwarder':
            broken = total // 5
            parts = [(total - broken, False), (broken, True)]
        else:
            parts = [(total, False)]
        for count, bad in parts:
            if count <= 0:
                continue
            pdkim, pspf, env, auth = auth_for(kind, hf, domain, bad)
            passed = pdkim == 'pass' or pspf == 'pass'
            r = {'reporter': rep[0], 'format': rep[2], 'domain': domain,
                 'header_from': hf, 'day': day, 'ip': ip, 'count': count,
                 'pdkim': pdkim, 'pspf': pspf, 'envelope_from': env,
                 'auth': auth, 'class': cls,
                 'dkim_aligned': pdkim == 'pass',
                 'spf_aligned': pspf == 'pass',
                 'disposition': disposition(rep[2], domain, passed, rnd),
                 'reasons': []}
            if kind == 'list' and rep[0] == 'google.com':
                r['reasons'] = ['mailing_list']
            recs.append(r)
            corpus.rows.append(r)
    return recs


def mail_with(rep, domain, payload, filename, ctype, report_id):
    msg = MIMEMultipart()
    msg['From'] = rep[1]
    msg['To'] = 'dmarc-rua@%s' % domain
    msg['Subject'] = 'Report Domain: %s Submitter: %s Report-ID: <%s>' % (
        domain, rep[0], report_id)
    msg.attach(MIMEText('This is an aggregate report for %s.\n' % domain))
    part = MIMEApplication(payload, ctype.split('/')[1])
    part.replace_header('Content-Type', ctype)
    part.add_header('Content-Disposition', 'attachment', filename=filename)
    msg.attach(part)
    return msg


def zipped(name, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return buf.getvalue()


def write(corpus, rel, data):
    path = os.path.join(corpus.outdir, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)
    corpus.files.append(path)
    return path


def emit(corpus, rep, domain, day, xml, report_id, boxes):
    begin = START + day * 86400
    base = '%s!%s!%d!%d' % (rep[0].replace(' ', '_'), domain, begin,
                            begin + 86399)
    kind = rep[4]
    if kind == 'gz':
        if domain == 'example.org':
            write(corpus, 'files/%s.xml' % base, xml)
        else:
            write(corpus, 'files/%s.xml.gz' % base,
                  gzip.compress(xml, mtime=0))
    elif kind == 'zip':
        write(corpus, 'files/%s.zip' % base, zipped(base + '.xml', xml))
    elif kind == 'eml':
        msg = mail_with(rep, domain, gzip.compress(xml, mtime=0),
                        base + '.xml.gz', 'application/gzip', report_id)
        write(corpus, 'eml/%s.eml' % base, msg.as_bytes())
    elif kind == 'mbox':
        msg = mail_with(rep, domain, zipped(base + '.xml', xml),
                        base + '.zip', 'application/zip', report_id)
        boxes['mbox'].add(msg)
    else:
        msg = mail_with(rep, domain, xml, base + '.xml', 'text/xml',
                        report_id)
        mm = mailbox.MaildirMessage(msg)
        if day % 2:
            mm.set_subdir('cur')
            mm.set_flags('S')
        boxes['maildir'].add(mm)


def generate(outdir, seed=SEED):
    corpus = Corpus(outdir)
    rnd = random.Random(seed)
    os.makedirs(outdir, exist_ok=True)
    mbox_path = os.path.join(outdir, 'reports.mbox')
    if os.path.exists(mbox_path):
        os.unlink(mbox_path)
    boxes = {'mbox': mailbox.mbox(mbox_path),
             'maildir': mailbox.Maildir(os.path.join(outdir, 'maildir'))}
    first_xml = None
    for day in range(DAYS):
        for rep in REPORTERS:
            for domain in sorted(POLICIES):
                recs = make_records(corpus, rep, domain, day, rnd)
                rid = '%s-%s-%d' % (rep[0].lower().replace(' ', ''),
                                    domain, START + day * 86400)
                xml = report_xml(rep, domain, day, recs, rid)
                if first_xml is None:
                    first_xml = xml
                emit(corpus, rep, domain, day, xml, rid, boxes)
                corpus.reports += 1
    boxes['mbox'].flush()
    boxes['mbox'].close()
    corpus.files += [mbox_path]
    corpus.duplicate = write(corpus, 'dup/resent.xml', first_xml)
    return corpus


def run(args, timeout=60):
    """Run the tool; returns (exit status, stdout, stderr) as text."""
    p = subprocess.run([TOOL] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return (p.returncode, p.stdout.decode('utf-8', 'replace'),
            p.stderr.decode('utf-8', 'replace'))


def dmarc_zone():
    """_dmarc records matching POLICIES, with an rua for example.com."""
    out = []
    for dom, pol in sorted(POLICIES.items()):
        rec = 'v=DMARC1; p=%s' % pol['p']
        if pol['pct'] is not None:
            rec += '; pct=%d' % pol['pct']
        if pol['t'] == 'y':
            rec += '; t=y'
        rec += '; rua=mailto:dmarc@%s' % dom
        out.append('_dmarc.%s TXT "%s"' % (dom, rec))
    return '\n'.join(out) + '\n'


def expected_impact(rows, ramp_pct=25, ramp=True):
    """Messages per day per class that the next stage would stop, replayed
    the way advise.h says: failing rows only; under a ramp RFC 9990
    reporters apply t=y (nothing), RFC 7489 reporters apply pct."""
    days = len(set(r['day'] for r in rows)) or 1
    out = {}
    for r in rows:
        if r['dkim_aligned'] or r['spf_aligned']:
            continue
        share = 1.0
        if ramp:
            share = 0.0 if r['format'] == 'rfc9990' else ramp_pct / 100.0
        out[r['class']] = out.get(r['class'], 0.0) + share * r['count']
    return dict((k, v / days) for k, v in out.items())


def history_schema_sql():
    """HISTORY_SCHEMA_SQL as history/schema.h defines it (its string
    literals joined, other string macros it names expanded), so history
    tests follow the documented schema."""
    import re
    with open(os.path.join(ROOT, 'history', 'schema.h')) as f:
        text = f.read()
    macros = {}
    for m in re.finditer(r'#define (\w+) \\\n((?:.*\\\n)*.*\n)', text):
        macros[m.group(1)] = re.findall(r'"((?:[^"\\]|\\.)*)"|(\b[A-Z_0-9]+'
                                        r'_SQL\b)', m.group(2))

    def expand(name, depth=0):
        out = ''
        for lit, ref in macros[name]:
            out += expand(ref, depth + 1) if ref and depth < 5 else lit
        return out
    sql = expand('HISTORY_SCHEMA_SQL').replace('\\n', '\n')
    version = int(re.search(r'#define HISTORY_SCHEMA_VERSION (\d+)',
                            text).group(1))
    return sql, version


def make_history_db(path, messages):
    """A milter history database holding messages: dicts with time,
    source_ip, header_from, spf_domain, spf_result, spf_aligned,
    dkim_aligned, result, applied (disposition), p, dkim (list of
    (domain, result, aligned)) and overrides (list of reasons)."""
    import sqlite3
    sql, version = history_schema_sql()
    con = sqlite3.connect(path)
    con.executescript(sql)
    con.execute('PRAGMA user_version = %d' % version)
    for m in messages:
        found = 1 if m.get('p') else 0
        cur = con.execute(
            'INSERT INTO messages (time, source_ip, header_from,'
            ' policy_domain, discovery, policy_found, policy_p, policy_sp,'
            ' policy_np, policy_pct, policy_testing, result,'
            ' disposition_requested, disposition_evaluated,'
            ' disposition_applied, spf_domain, spf_scope, spf_result,'
            ' spf_aligned, dkim_aligned) VALUES'
            ' (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)',
            (m['time'], m['source_ip'], m['header_from'],
             m['header_from'] if found else '', 'treewalk', found,
             m.get('p'), m.get('p'), m.get('p'), 100 if found else None,
             'n' if found else None, m['result'],
             m.get('requested', m.get('applied')) if found else None,
             m.get('requested', m.get('applied')) if found else None,
             m.get('applied') if found else None, m['spf_domain'], 'mfrom',
             m['spf_result'], m['spf_aligned'], m['dkim_aligned']))
        mid = cur.lastrowid
        for i, (dom, res, al) in enumerate(m.get('dkim', [])):
            con.execute('INSERT INTO message_dkim (message_id, seq, domain,'
                        ' selector, result, aligned) VALUES (?,?,?,?,?,?)',
                        (mid, i, dom, 's1', res, al))
        for i, reason in enumerate(m.get('overrides', [])):
            con.execute('INSERT INTO message_override (message_id, seq,'
                        ' reason, comment) VALUES (?,?,?,?)',
                        (mid, i, reason, ''))
    con.commit()
    con.close()


def history_messages():
    """A small milter history: a.example (own MTA passing, a spoofer
    rejected), b.example (a misaligned ESP quarantined, with Enforcement
    off overrides for some), c.example (no policy)."""
    out = []
    t0 = START + 3600
    for i in range(40):
        out.append({'time': t0 + i * 600, 'source_ip': '192.0.2.10',
                    'header_from': 'a.example', 'spf_domain': 'a.example',
                    'spf_result': 'pass', 'spf_aligned': 1,
                    'dkim_aligned': 1, 'result': 'pass', 'applied': 'none',
                    'p': 'reject', 'dkim': [('a.example', 'pass', 1)]})
    for i in range(10):
        out.append({'time': t0 + i * 900, 'source_ip': '198.18.0.66',
                    'header_from': 'a.example', 'spf_domain': 'a.example',
                    'spf_result': 'fail', 'spf_aligned': 0,
                    'dkim_aligned': 0, 'result': 'fail',
                    'applied': 'reject', 'p': 'reject'})
    for i in range(6):
        out.append({'time': t0 + 86400 + i * 900,
                    'source_ip': '198.51.100.20', 'header_from': 'b.example',
                    'spf_domain': 'bounces.esp.example.net',
                    'spf_result': 'pass', 'spf_aligned': 0,
                    'dkim_aligned': 0, 'result': 'fail',
                    'applied': 'quarantine' if i < 4 else 'none',
                    'requested': 'quarantine', 'p': 'quarantine',
                    'dkim': [('esp.example.net', 'pass', 0)],
                    'overrides': [] if i < 4 else ['local_policy']})
    for i in range(3):
        out.append({'time': t0 + 2 * 86400 + i, 'source_ip': '203.0.113.9',
                    'header_from': 'c.example', 'spf_domain': 'c.example',
                    'spf_result': 'none', 'spf_aligned': 0,
                    'dkim_aligned': 0, 'result': 'none'})
    return out

def zip_of(members):
    """A zip archive (deflate) of (name, bytes) members."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def overlapping_zip(kernel, entries=64, method=8):
    """A hostile zip: one local header and (deflated or stored) kernel,
    `entries` central directory entries all pointing at it."""
    data = zlib.compress(kernel, 9)[2:-4] if method == 8 else kernel
    crc = zlib.crc32(kernel)
    name = b'bomb.xml'
    local = struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0, method, 0, 0,
                        crc, len(data), len(kernel), len(name), 0) + name
    blob = local + data
    cd = b''
    for i in range(entries):
        n = b'r%02d.xml' % i
        cd += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 20, 20, 0,
                          method, 0, 0, crc, len(data), len(kernel), len(n),
                          0, 0, 0, 0, 0, 0) + n
    eocd = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, entries, entries,
                       len(cd), len(blob), 0)
    return blob + cd + eocd


def simple_report(org, report_id, domain, begin, records, policy=None,
                  ns=None, end=None):
    """One report as bytes, for small targeted tests.  records: dicts with
    ip, count, and optional disposition ('none'), pdkim/pspf ('fail'),
    header_from (domain), dkim/spf: lists of (domain, result).  policy:
    extra policy_published elements as {name: value} (p defaults to
    none)."""
    pol = {'p': 'none'}
    pol.update(policy or {})
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<feedback%s>' % (' xmlns="%s"' % ns if ns else ''),
           '<report_metadata><org_name>%s</org_name><email>%s</email>'
           '<report_id>%s</report_id><date_range><begin>%d</begin>'
           '<end>%d</end></date_range></report_metadata>'
           % (escape(org), 'noreply@' + escape(org), escape(report_id),
              begin, end if end is not None else begin + 86399),
           '<policy_published><domain>%s</domain>%s</policy_published>'
           % (domain, ''.join('<%s>%s</%s>' % (k, v, k)
                              for k, v in pol.items()))]
    for r in records:
        out.append(
            '<record><row><source_ip>%s</source_ip><count>%d</count>'
            '<policy_evaluated><disposition>%s</disposition><dkim>%s</dkim>'
            '<spf>%s</spf></policy_evaluated></row><identifiers>'
            '<header_from>%s</header_from></identifiers><auth_results>%s%s'
            '</auth_results></record>'
            % (r['ip'], r['count'], r.get('disposition', 'none'),
               r.get('pdkim', 'fail'), r.get('pspf', 'fail'),
               r.get('header_from', domain),
               ''.join('<dkim><domain>%s</domain><result>%s</result></dkim>'
                       % a for a in r.get('dkim', [])),
               ''.join('<spf><domain>%s</domain><result>%s</result></spf>'
                       % a for a in r.get('spf', []))))
    out.append('</feedback>')
    return ('\n'.join(out) + '\n').encode()


def main():
    if len(sys.argv) != 2:
        sys.stderr.write('usage: reportgen.py OUTDIR\n')
        return 2
    c = generate(sys.argv[1])
    print('%d reports, %d records, %d messages in %s' % (
        c.reports, len(c.rows), sum(r['count'] for r in c.rows), c.outdir))
    return 0


if __name__ == '__main__':
    sys.exit(main())
