#!/usr/bin/python3
"""policy_ops.t - dmarcwarden-policy in daily operation (issue 14.3): a
Dovecot Maildir with its control files (dovecot-uidlist, dovecot.index*,
maildirfolder) ingests without errors; processed files are remembered so
a rerun reads nothing, a changed file is read again, --rescan reads all;
a report re-sent under another report id or org_name is a duplicate by
content, while another receiver's report with the same figures is not;
advise with no data in the window keeps the last published policy from
the stored reports (no downgrade from p=reject) and says so."""

import json
import os
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import harness  # noqa: E402
import reportgen  # noqa: E402
import tap  # noqa: E402
from reportgen import run, simple_report  # noqa: E402

if not os.access(reportgen.TOOL, os.X_OK):
    tap.skip_all('policy/tool/dmarcwarden-policy not built')

out = harness.outdir('policy_ops')
db = os.path.join(out, 'reports.db')
START = reportgen.START
REC = [{'ip': '192.0.2.1', 'count': 5, 'pdkim': 'pass',
        'dkim': [('ops.example', 'pass')]},
       {'ip': '203.0.113.9', 'count': 2, 'disposition': 'reject'}]


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


def mail(xml, name):
    return (b'From: noreply@google.com\r\nSubject: Report\r\n'
            b'Content-Type: application/xml; name="' + name.encode() +
            b'"\r\n\r\n' + xml)


# ---- a Dovecot Maildir ------------------------------------------------------
md = os.path.join(out, 'Maildir', '.DMARC')
for day in range(3):
    write(os.path.join(md, 'cur', '17723%d.M1P1.host:2,S' % day),
          mail(simple_report('google.com', 'g-%d' % day, 'ops.example',
                             START + day * 86400, REC, {'p': 'reject'}),
               'r%d.xml' % day))
for ctl in ('dovecot-uidlist', 'dovecot-keywords', 'dovecot.index',
            'dovecot.index.cache', 'dovecot.index.log', 'maildirfolder',
            'dovecot.list.index.log', 'dovecot-uidvalidity',
            'dovecot-uidvalidity.65f1c2a0'):
    write(os.path.join(md, ctl), b'3 V1700000000 N4 G\x00\x01binary\n')
write(os.path.join(md, 'subscriptions'), b'DMARC\n')
rc, so, se = run(['ingest', '--db', db, md])
tap.is_(rc, 0, 'Maildir with Dovecot control files: exit 0')
tap.like(so, r'ingest: 3 files, 3 reports stored \(6 records, 21 messages\), '
         r'0 duplicates, 0 rejected', 'only the three messages are read')
tap.unlike(so, r'dovecot|maildirfolder|subscriptions', 'control files not '
           'mentioned')

# ---- processed files are remembered ------------------------------------------
rc, so, se = run(['ingest', '--db', db, md])
tap.like(so, r'ingest: 0 files, 0 reports stored .*, 0 duplicates, 0 '
         r'rejected, .*3 files unchanged since ingested \(skipped\)',
         'rerun: the three messages are not read again')
tap.is_(rc, 0, 'rerun: exit 0')
rc, so, se = run(['ingest', '--db', db, os.path.relpath(md)])
tap.like(so, r'ingest: 0 files, .*3 files unchanged', 'rerun by a relative '
         'path: the same files')
msg = os.path.join(md, 'cur', '177231.M1P1.host:2,S')
with open(msg, 'ab') as f:
    f.write(b'\n')
rc, so, se = run(['ingest', '--db', db, md])
tap.like(so, r'177231\.M1P1\.host:2,S\[r1\.xml\]: duplicate google\.com '
         r'report g-1', 'a changed file is read again')
tap.like(so, r'ingest: 1 files, .*2 files unchanged', 'the others skipped')
rc, so, se = run(['ingest', '--rescan', '--db', db, md])
tap.like(so, r'ingest: 3 files, 0 reports stored .*, 3 duplicates',
         '--rescan reads every file')
bad = os.path.join(out, 'bad', 'broken.xml')
write(bad, b'<feedback><unclosed></feedback>')
run(['ingest', '--db', db, bad])
rc, so, se = run(['ingest', '--db', db, bad])
tap.like(so, r'broken\.xml: rejected', 'a rejected file is read again')

# ---- duplicates by content -----------------------------------------------
d = os.path.join(out, 'dup')
again = simple_report('google.com', 'g-0-resent', 'ops.example', START, REC,
                      {'p': 'reject'})
write(os.path.join(d, 'a-new-id.xml'), again)
write(os.path.join(d, 'b-new-name.xml'), again.replace(
    b'<org_name>google.com</org_name>', b'<org_name>Google LLC</org_name>'))
write(os.path.join(d, 'c-other-receiver.xml'), again.replace(
    b'noreply@google.com', b'noreply@yahoo.com').replace(
    b'google.com', b'Yahoo'))
rc, so, se = run(['ingest', '--db', db, d])
tap.like(so, r'a-new-id\.xml: duplicate google\.com report g-0-resent '
         r'\(already stored from .*, the same content as google\.com report '
         r'g-0\)', 'resent under a new report id: duplicate by content')
tap.like(so, r'b-new-name\.xml: duplicate Google LLC report g-0-resent',
         'resent under another org_name: duplicate')
tap.like(so, r'c-other-receiver\.xml: stored Yahoo report g-0-resent',
         'another receiver with the same figures: stored')
con = sqlite3.connect(db)
tap.is_(con.execute("SELECT count(*) FROM reports").fetchone()[0], 4,
        'four reports in the database')
tap.is_(con.execute("SELECT count(*) FROM files").fetchone()[0], 6,
        'six files remembered (the rejected one is not)')
con.close()

# ---- advise with no data in the window ------------------------------------
later = START + 100 * 86400
rc, so, se = run(['advise', '--json', '--no-dns', '--db', db, '--now',
                  str(later), '--days', '30', 'ops.example'])
j = json.loads(so) if so.startswith('{') else {}
adv = j.get('advice', {})
tap.is_(j.get('messages'), 0, 'no data in the window')
tap.is_(adv.get('stage'), 'reject', 'current stage: p=reject, from the last '
        'stored report')
tap.like(adv.get('policy_origin'), r'the last stored report \(2026-03-03\)',
         'says where the policy came from')
tap.like(adv.get('policy_note'), r'no reports in the window: the last '
         r'published policy is kept', 'says the window had no reports')
tap.unlike(adv.get('record'), r'p=quarantine', 'no downgrade to quarantine '
           'advised')
rc, so, se = run(['advise', '--no-dns', '--db', db, '--now', str(later),
                  '--days', '30', 'ops.example'])
tap.like(so, r'Current stage: p=reject \(policy from the last stored report '
         r'\(2026-03-03\); no reports in the window: the last published policy is '
         r'kept\)', 'text output says so')

sys.exit(tap.done_testing())
