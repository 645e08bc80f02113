#!/usr/bin/python3
"""policy_failures.t - failure reports (ruf, RFC 6591) from the real
samples in ../shared/realworld-reports/samples/failure/ are ingested
(all five, the CRLF copy of the LinkedIn report as a duplicate, rerun:
all duplicates), shown per domain by report (text and JSON) and html;
`list` shows every domain of the database (aggregate and failure
reports, text, JSON, CSV); report --csv exports the records and the
failure reports as RFC 4180 CSV, with formula-like text defused."""

import csv
import io
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import harness  # noqa: E402
import reportgen  # noqa: E402
import tap  # noqa: E402
from reportgen import NOW, run  # noqa: E402

if not os.access(reportgen.TOOL, os.X_OK):
    tap.skip_all('policy/tool/dmarcwarden-policy not built')
SAMPLES = os.path.join(HERE, '..', '..', '..', '..', 'shared',
                       'realworld-reports', 'samples', 'failure')
if not os.path.isdir(SAMPLES):
    SAMPLES = '/work/shared/realworld-reports/samples/failure'
if not os.path.isdir(SAMPLES):
    tap.skip_all('realworld-reports/samples/failure not found')

out = harness.outdir('policy_failures')
fdir = os.path.join(out, 'failure')
shutil.copytree(SAMPLES, fdir)
db = os.path.join(out, 'reports.db')

rc, so, se = run(['ingest', '--db', db, fdir])
tap.is_(rc, 0, 'ingest of the failure samples exits 0 (nothing rejected)')
for name, dom, src, res in (
        ('DMARC Failure Report for domain.de', 'domain.de', '10.10.10.10',
         'smg-policy-action'),
        ('Netease DMARC Failure Report', 'cardinal.com', '167.89.69.24',
         'delivered'),
        ('dmarc_ruf_report_linkedin.crlf.eml', 'example.com', '10.10.10.10',
         'delivered'),
        ('exim_plain_text_only_no_arf_part', 'example.com', '203.0.113.68',
         'no result')):
    tap.like(so, r'%s[^\n]*: stored failure report for %s from \S+ '
             r'\(source %s, [^,]+, %s\)' % (
                 name.replace('[', r'\[').replace('(', r'\('), dom, src,
                 res), 'stored: %s' % name)
tap.like(so, r'dmarc_ruf_report_linkedin\.eml\[message 1\]: duplicate '
         r'failure report for example\.com', 'the CRLF and LF copies of one '
         'report: the second is a duplicate (same content)')
tap.like(so, r'ingest: 5 files, 0 reports stored \(0 records, 0 messages\), '
         r'1 duplicates, 0 rejected, 4 failure reports stored', 'summary')
rc, so, se = run(['ingest', '--db', db, fdir])
tap.like(so, r'ingest: 0 files, .*, 5 files unchanged since ingested',
         'rerun: the files already read are skipped')
rc, so, se = run(['ingest', '--rescan', '--db', db, fdir])
tap.like(so, r', 5 duplicates, 0 rejected, 0 failure reports stored',
         'rerun with --rescan: every failure report is a duplicate')

# an aggregate report for example.com too, so list has both kinds
corpus = reportgen.generate(os.path.join(out, 'corpus'))
run(['ingest', '-q', '--db', db, os.path.join(out, 'corpus')])

# ---- shown per domain ------------------------------------------------------
WIN = ['--no-dns', '--now', '1744156800', '--days', '366']
rc, so, se = run(['report', '--db', db] + WIN + ['example.com'])
tap.is_(rc, 0, 'report exits 0')
tap.like(so, r'Failure reports: 1 in the window\n', 'report: the failure '
         'reports of example.com in the window (the Exim one of 2025)')
tap.like(so, r'2025-04-07 203\.0\.113\.68 +node01\.mailgate\.example\.net '
         r'+dmarc ', 'report: its line (date, source, reporter, failure)')
rc, so, se = run(['report', '--db', db, '--json'] + WIN + ['example.com'])
j = json.loads(so)
tap.is_(j['failures']['total'], 1, 'JSON: failures.total')
tap.is_(j['failures']['items'][0]['source_ip'], '203.0.113.68',
        'JSON: failures.items[0].source_ip')
rc, so, se = run(['report', '--db', db, '--json', '--no-dns', '--now',
                  '1560000000', '--days', '366', 'cardinal.com'])
j = json.loads(so)
tap.is_((j['failures']['total'], j['failures']['items'][0]['subject'],
         j['failures']['items'][0]['dkim_domain']),
        (1, 'Rent Reminder', 'entrata.com'),
        'JSON for cardinal.com: the Netease report (base64 ARF part, TAB-'
        'folded boundary), its subject and DKIM domain')
rc, so, se = run(['report', '--db', db, '--no-dns', '--now', '1560000000',
                  '--days', '366', 'example.net'])
tap.unlike(so, r'Failure reports', 'no failure section for a domain with '
           'none')
page = os.path.join(out, 'cardinal.html')
rc, so, se = run(['html', '--db', db, '--no-dns', '--now', '1560000000',
                  '--days', '366', '-o', page, 'cardinal.com'])
with open(page, encoding='utf-8') as f:
    html = f.read()
tap.like(html, r'(?s)<table class="sortable" id="failures">.*<td>2018-09-28'
         r'</td><td[^>]*>167\.89\.69\.24</td><td[^>]*>163\.com</td>',
         'html: the failure reports table')

# ---- list ------------------------------------------------------------------
rc, so, se = run(['list', '--db', db])
tap.is_(rc, 0, 'list exits 0')
doms = [line.split()[0] for line in so.splitlines()[1:]]
tap.is_(doms, sorted(['cardinal.com', 'domain.de', 'example.com',
                      'example.net', 'example.org']),
        'list: every domain, from aggregate and failure reports, sorted')
tap.like(so, r'\ndomain\.de +0 +0 +0 +1  2018-10-01 \.\. 2018-10-01\n',
         'list: a failure-only domain (0 reports, 1 failure report)')
rc, so, se = run(['list', '--db', db, '--json'])
j = {d['domain']: d for d in json.loads(so)['domains']}
tap.is_(j['example.com']['failure_reports'], 2, 'list --json: example.com '
        'has 2 failure reports')
tap.ok(j['example.com']['reports'] > 0 and j['example.com']['messages'] > 0,
       'list --json: and its aggregate reports and messages')
rc, so, se = run(['list', '--db', db, '--csv'])
rows = list(csv.reader(io.StringIO(so, newline='')))
tap.is_(rows[0], ['domain', 'reports', 'reporters', 'messages',
                  'failure_reports', 'first', 'last'], 'list --csv header')
tap.is_(len(rows), 6, 'list --csv: a row per domain')
tap.ok(so.endswith('\r\n') and '\n' not in so.replace('\r\n', ''),
       'CSV records end in CRLF (RFC 4180)')
rc, so, se = run(['list', '--db', db, '--csv', '--json'])
tap.is_(rc, 2, 'list --csv --json: usage error')
rc, so, se = run(['list', '--db', os.path.join(out, 'missing.db')])
tap.is_(rc, 2, 'list on a missing database: error')

# ---- CSV export --------------------------------------------------------------
rc, so, se = run(['report', '--db', db, '--csv', '--no-dns', '--now',
                  str(NOW), 'example.com'])
rows = list(csv.DictReader(io.StringIO(so, newline='')))
rc2, so2, se2 = run(['report', '--db', db, '--json', '--no-dns', '--now',
                     str(NOW), 'example.com'])
j = json.loads(so2)
tap.is_(sum(int(r['messages']) for r in rows), j['messages'],
        'report --csv: the records add up to the report\'s messages')
tap.is_(sum(int(r['messages']) for r in rows if r['dmarc_pass'] == '1'),
        j['dmarc_pass'], 'report --csv: DMARC pass adds up')
tap.is_(set(r['class'] for r in rows), set(j['classes']) -
        set(c for c in j['classes'] if j['classes'][c]['messages'] == 0),
        'report --csv: the classes of the sources')

# hostile strings: a failure report whose subject is a spreadsheet formula
evil = ('From: r@reporter.example\nDate: Fri, 20 Mar 2026 10:00:00 +0000\n'
        'Content-Type: multipart/report; boundary=b\n\n--b\n'
        'Content-Type: message/feedback-report\n\nFeedback-Type: '
        'auth-failure\nReported-Domain: example.com\nSource-IP: 192.0.2.66\n'
        'Arrival-Date: Fri, 20 Mar 2026 09:00:00 +0000\n\n--b\n'
        'Content-Type: text/rfc822-headers\n\nFrom: <x@example.com>\n'
        'Subject: =HYPERLINK("http://evil.example","a, b")\n\n--b--\n')
epath = os.path.join(out, 'evil.eml')
with open(epath, 'w') as f:
    f.write(evil)
rc, so, se = run(['ingest', '--db', db, epath])
tap.like(so, r'stored failure report for example\.com', 'hostile failure '
         'report stored')
rc, so, se = run(['report', '--db', db, '--csv', '--failures', '--no-dns',
                  '--now', str(NOW), 'example.com'])
rows = list(csv.DictReader(io.StringIO(so, newline='')))
tap.is_([r['subject'] for r in rows],
        ['\'=HYPERLINK("http://evil.example","a, b")'],
        'report --csv --failures: the formula is quoted and defused')
tap.is_(rows[0]['source_ip'], '192.0.2.66', 'report --csv --failures: '
        'source')
rc, so, se = run(['report', '--db', db, '--failures', '--no-dns',
                  'example.com'])
tap.is_(rc, 2, '--failures without --csv: usage error')

sys.exit(tap.done_testing())
