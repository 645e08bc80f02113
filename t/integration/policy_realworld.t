#!/usr/bin/python3
"""policy_realworld.t - dmarcwarden-policy ingest on real aggregate reports
(issue 14.2): the files of ../shared/realworld-reports (relative to the
repository root; see its README for their sources).  Every aggregate
report a person can read is stored, with per-file records and messages
checked; the few refused files are named with the reason they are
unreadable.  Failure (ruf) and SMTP TLS reports in the same collection
are not aggregate reports and are left to their own tests."""

import os
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import harness  # noqa: E402
import reportgen  # noqa: E402
import tap  # noqa: E402
from reportgen import run  # noqa: E402

if not os.access(reportgen.TOOL, os.X_OK):
    tap.skip_all('policy/tool/dmarcwarden-policy not built')
# ../shared next to the repository; a git worktree one level deeper
# (/work/wt/NAME) finds the same directory one level up
CANDIDATES = [os.path.join(reportgen.ROOT, '..', 'shared',
                           'realworld-reports'),
              os.path.join(reportgen.ROOT, '..', '..', 'shared',
                           'realworld-reports')]
BASE = next((c for c in CANDIDATES if os.path.isdir(c)), None)
if BASE is None:
    tap.skip_all('../shared/realworld-reports is missing (it holds the real '
                 'reports this test reads)')

AGG = 'samples/aggregate/'
S = r'stored %s report %s for %s \(%s, %d records, %d messages\)'
EXPECT = [
    # file, regex of its line, records stored from it
    ('deleted/zoho.com!example.com!1581753600!1581840000.xml',
     S % ('zoho.com', r'\S+', 'example.com', 'rfc7489', 8, 9), 8),
    (AGG + '!example.com!1538204542!1538463818.xml',
     S % ('accurateplastics.com', r'example\.com:1538463741', 'example.com',
          'rfc7489', 1, 1) + r'; warning: .*<org_name> is empty', 1),
    (AGG + '!large-example.com!1711897200!1711983600.xml',
     S % ('accurateplastics.com', r'example\.com:1711897200', 'example.com',
          'rfc7489', 2286, 2286), 2286),
    (AGG + 'Report domain- borschow.com Submitter- google.com Report-ID- '
     '949348866075514174.eml',
     r'\.eml\[google\.com!borschow\.com!1549929600!1550015999\.zip\]\[.*'
     r'\.xml\]: ' + S % ('google.com', '949348866075514174', 'borschow.com',
                         'rfc7489', 1, 1), 1),
    (AGG + 'addisonfoods.com!example.com!1536105600!1536191999.xml',
     S % ('addisonfoods.com', r'\S+', 'example.com', 'rfc7489', 1, 1), 1),
    (AGG + 'empty_reason.xml',
     S % ('example.org', '20240125141224705995', 'example.com', 'rfc7489',
          1, 2) + r'; warning: record 1: <type> is empty', 1),
    (AGG + 'estadocuenta1.infonacot.gob.mx!example.com!1536853302!'
     '1536939702!2940.xml.zip',
     S % ('XYZ Corporation', '2940', 'example.com', 'rfc7489', 1, 1), 1),
    (AGG + 'example.net!example.com!1529366400!1529452799.xml',
     S % ('example.net', r'\S+', 'example.com', 'rfc7489', 1, 1), 1),
    (AGG + 'fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz',
     S % ('FastMail Pty Ltd', '102675056', 'indemed.com', 'rfc7489', 1, 1),
     1),
    (AGG + 'ikea.com!example.de!1538690400!1538776800.xml',
     S % ('ikea.com', r'\S+', 'example.de', 'rfc7489', 1, 1) +
     r'; warning: ignored 127 bytes of malformed content before <feedback>',
     1),
    # genuinely unreadable: bytes that are not UTF-8 (and the record's
    # header_from is no domain), an unescaped '<' inside the elements
    (AGG + 'invalid_utf_8.xml',
     r'rejected: malformed XML at line 31: Input is not proper UTF-8', 0),
    (AGG + 'invalid_xml.xml',
     r'rejected: malformed XML at line 31: Couldn.t find end of Start Tag',
     0),
    (AGG + 'mimecast-weird-gzip.eml',
     S % ('Mimecast', r'\S+', 'ab.id.au', 'rfc7489', 1, 1), 1),
    (AGG + 'old_draft_from_wiki.xml',
     S % ('acme.com', r'\S+', 'example.com', 'rfc7489', 1, 2), 1),
    (AGG + 'protection.outlook.com!example.com!1711756800!1711843200.xml',
     S % ('Outlook.com', r'\S+', 'example.com', 'rfc7489', 1, 1), 1),
    (AGG + 'rfc9990-example.net!example.com!1700000000!1700086399.xml',
     S % ('example.net', 'dmarcbis-test-report-001', 'example.com',
          'rfc9990', 2, 7), 2),
    (AGG + 'rfc9990-sample.xml',
     S % ('Sample Reporter', r'\S+', 'example.com', 'rfc9990', 1, 123), 1),
    (AGG + 'twilight.eml',
     S % ('google.com', r'\S+', 'twlnet.com', 'rfc7489', 1, 1), 1),
    (AGG + 'usssa.com!example.com!1538784000!1538870399.xml',
     S % ('usssa.com', r'\S+', 'example.com', 'rfc7489', 2, 2), 2),
    (AGG + 'veeam.com!example.com!1530133200!1530219600.xml',
     S % ('veeam.com', r'\S+', 'example.com', 'rfc7489', 1, 1), 1),
    ('samples/aggregate_invalid/report_with_upper_cased_pass.xml',
     S % ('example.com', r'\S+', 'example.com', 'rfc7489', 1, 1), 1),
    ('samples/empty.xml', r'rejected: empty', 0),
    ('samples/extract_report/changed-input.xml',
     S % ('fred.com', '11038226378739404135', 'example.com', 'rfc7489', 20,
          3047), 20),
    # the same report as changed-input.xml under another org_name: the
    # same content, a duplicate (issue 14.3)
    ('samples/extract_report/nice-input.xml',
     r'duplicate google\.com report 11038226378739404135 \(already stored '
     r'from .*changed-input\.xml, the same content as fred\.com report '
     r'11038226378739404135\)', 0),
    ('samples/extract_report/nice-input.xml.gz',
     r'duplicate google\.com report 11038226378739404135', 0),
    ('samples/extract_report/nice-input.xml.zip',
     r'duplicate google\.com report 11038226378739404135', 0),
]

# every aggregate report file of the collection is in the table
listed = set(f for f, _, _ in EXPECT)
for sub in ('deleted', 'samples/aggregate', 'samples/aggregate_invalid',
            'samples/extract_report'):
    for name in sorted(os.listdir(os.path.join(BASE, sub))):
        rel = sub + '/' + name
        tap.ok(rel in listed, 'aggregate sample %s has an expectation' % rel)

out = harness.outdir('policy_realworld')
db = os.path.join(out, 'reports.db')
paths = [os.path.join(BASE, f) for f, _, _ in EXPECT]
rc, so, se = run(['ingest', '--db', db] + paths, timeout=120)
by_file = {}
for ln in so.splitlines():
    for f, _, _ in EXPECT:
        if ln.startswith(os.path.join(BASE, f) + ':') or \
                ln.startswith(os.path.join(BASE, f) + '['):
            by_file.setdefault(f, []).append(ln)
for f, pattern, _ in EXPECT:
    got = by_file.get(f, [])
    tap.is_(len(got), 1, '%s: one line' % f)
    tap.like(got[0] if got else None, pattern, f)

refused = [f for f, p, _ in EXPECT if p.startswith('rejected')]
stored = [f for f, p, _ in EXPECT if 'duplicate' not in p and
          'rejected' not in p]
tap.like(so, r'ingest: %d files, %d reports stored \(%d records, .*\), 3 '
         r'duplicates, %d rejected' % (len(EXPECT), len(stored),
                                       sum(n for _, _, n in EXPECT),
                                       len(refused)),
         'summary: %d of %d files stored, only %s refused' % (
             len(stored), len(EXPECT), ', '.join(os.path.basename(f)
                                                 for f in refused)))
tap.is_(se, '', 'nothing on stderr')

con = sqlite3.connect(db)
tap.is_(con.execute('SELECT count(*) FROM records').fetchone()[0],
        sum(n for _, _, n in EXPECT), 'every record is in the database')
tap.is_(con.execute("SELECT format FROM reports WHERE report_id = "
                    "'dmarcbis-test-report-001'").fetchone(), ('rfc9990',),
        'namespace-less report with version 2.0 / np / testing: RFC 9990')
tap.is_(con.execute("SELECT count(*) FROM reasons r JOIN records c ON "
                    "r.record = c.id JOIN reports p ON c.report = p.id "
                    "WHERE p.report_id = '20240125141224705995'").fetchone(),
        (0,), 'the empty reason was dropped, its record kept')
con.close()

sys.exit(tap.done_testing())
