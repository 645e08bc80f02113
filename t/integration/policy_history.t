#!/usr/bin/python3
"""policy_history.t - dmarcwarden-policy report on the milter's own history
database (schema taken from history/schema.h): what dmarcwarden
did per author domain (pass, fail, quarantined, rejected, overrides and
their reasons), the per-source view of one domain, --json, the window,
and refusal of a file that is not a history database.  Also (history/
verdicts.c): rows the milter tempfailed are not counted but reported as
left out; DKIM results taken from the row's dkim_summary; older schema
versions (1, 2) read with the same results, a newer one refused with both
versions named; the same history in PostgreSQL (--history URI, private
server from t/lib/pgserver.py) gives the same report, password hidden."""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import harness  # noqa: E402
import histdb  # noqa: E402
import pgserver  # noqa: E402
import reportgen  # noqa: E402
import tap  # noqa: E402
from reportgen import run, START  # noqa: E402

if not os.access(reportgen.TOOL, os.X_OK):
    tap.skip_all('policy/tool/dmarcwarden-policy not built')

out = harness.outdir('policy_history')
hdb = os.path.join(out, 'history.db')
reportgen.make_history_db(hdb, reportgen.history_messages())
NOW = str(START + 5 * 86400)
BASE = ['--history', hdb, '--no-dns', '--now', NOW]

rc, so, se = run(['report'] + BASE)
tap.is_(rc, 0, 'report --history without DOMAIN: all domains')
tap.like(so, r'a\.example +50 +40 +10 +0 +10 +0  -',
         'a.example: 40 pass, 10 fail, 10 rejected')
tap.like(so, r'b\.example +6 +0 +6 +4 +0 +2  local_policy 2',
         'b.example: 4 quarantined, 2 overridden by local_policy')
tap.like(so, r'c\.example +3 +0 +0 +0 +0 +0', 'c.example: no policy')

rc, so, se = run(['report', '--json'] + BASE)
j = json.loads(so)
tap.is_(j['source'], 'history', 'JSON says the data is the history')
tap.is_(j['messages'], 59, 'all 59 messages')
h = dict((d['domain'], d) for d in j['history_domains'])
tap.is_((h['b.example']['quarantined'], h['b.example']['overridden'],
         h['b.example']['reasons']), (4, 2, 'local_policy 2'),
        'b.example actions in JSON')
cls = dict((s['ip'], s['class']) for s in j['sources'])
tap.is_(cls, {'192.0.2.10': 'authorized', '198.18.0.66': 'spoof',
              '198.51.100.20': 'misaligned', '203.0.113.9': 'spoof'},
        'sources classified from the milter\'s own verdicts')

rc, so, se = run(['report', '--json'] + BASE + ['a.example'])
j = json.loads(so)
tap.is_((j['messages'], j['dmarc_pass']), (50, 40), 'a.example only')
tap.is_([d['domain'] for d in j['history_domains']], ['a.example'],
        'history table limited to the domain')
src = dict((s['ip'], s) for s in j['sources'])
tap.is_(src['198.18.0.66']['rejected'], 10, 'rejections per source')

rc, so, se = run(['report', '--json', '--history', hdb, '--no-dns',
                  '--now', str(START + 86400), '--days', '1'])
j = json.loads(so)
tap.is_(j['messages'], 50, '--days 1 window keeps the first day only')

rc, so, se = run(['advise', '--json'] + BASE + ['b.example'])
j = json.loads(so)
tap.is_(j['advice']['stage'], 'quarantine', 'advise on the history: the '
        'policy the milter saw (p=quarantine)')

rc, so, se = run(['report', '--history', hdb, '--db', hdb, 'a.example'])
tap.is_(rc, 2, '--db and --history together: usage error')
notdb = os.path.join(out, 'not.db')
with open(notdb, 'w') as f:
    f.write('hello\n')
rc, so, se = run(['report', '--history', notdb, '--no-dns'])
tap.is_(rc, 2, 'not a database: exit 2')
tap.like(se, r'not a dmarcwarden history database|file is not a database',
         'says what is wrong')

# --- tempfail rows, dkim_summary (history/verdicts.c) ---------------------
import shutil  # noqa: E402
import sqlite3  # noqa: E402

tdb = os.path.join(out, 'tempfail.db')
shutil.copy(hdb, tdb)
con = sqlite3.connect(tdb)
T0 = reportgen.START + 3600
for i in range(7):
    con.execute("INSERT INTO messages (time, source_ip, header_from,"
                " policy_domain, discovery, policy_found, policy_p,"
                " result, disposition_applied, spf_domain, spf_scope,"
                " spf_result, action, smtp_reply) VALUES (?, '198.18.0.99',"
                " 'a.example', 'a.example', 'treewalk', 1, 'reject', 'fail',"
                " 'reject', 'a.example', 'mfrom', 'fail', 'tempfail',"
                " '451 4.7.5')", (T0 + i,))
con.execute("INSERT INTO messages (time, source_ip, header_from,"
            " policy_domain, discovery, policy_found, policy_p, result,"
            " disposition_applied, spf_domain, spf_scope, spf_result,"
            " dkim_summary, action) VALUES (?, '198.51.100.77', 'd.example',"
            " 'd.example', 'treewalk', 1, 'none', 'fail', 'none',"
            " 'd.example', 'mfrom', 'fail', ?, 'accept')",
            (T0, 'esp.example.net\x1ds1\x1dpass\x1d'))
con.commit()
con.close()
TBASE = ['--history', tdb, '--no-dns', '--now', NOW]
rc, so, se = run(['report', '--json'] + TBASE)
j = json.loads(so)
tap.is_((rc, j['messages'], j.get('tempfailed_not_counted')), (0, 60, 7),
        'tempfailed rows not counted as messages, their number given')
h = dict((d['domain'], d) for d in j['history_domains'])
tap.is_((h['a.example']['messages'], h['a.example']['rejected']), (50, 10),
        'a.example per-domain counts leave tempfailed rows out')
cls = dict((s['ip'], s['class']) for s in j['sources'])
tap.ok('198.18.0.99' not in cls, 'a source seen only tempfailed is not'
       ' listed')
tap.is_(cls.get('198.51.100.77'), 'misaligned', 'DKIM read from the'
        ' row\'s dkim_summary (foreign pass: misaligned, not spoof)')
rc, so, se = run(['report'] + TBASE)
tap.like(so, r'Not counted: 7 tempfailed attempts \(the sender retries',
         'text report says how tempfailed rows are treated')
tap.like(so, r'a\.example +50 +40 +10 +0 +10 +0  -',
         'text per-domain line unchanged by tempfailed rows')


# --- older and newer schema versions --------------------------------------
def copy_rows(src, dst_con):
    """Rows of src's history tables into dst (columns both have)."""
    s = sqlite3.connect(src)
    for table in ('messages', 'message_rcpt', 'message_dkim',
                  'message_override'):
        mine = [r[1] for r in s.execute('PRAGMA table_info(%s)' % table)]
        theirs = set(r[1] for r in
                     dst_con.execute('PRAGMA table_info(%s)' % table))
        cols = [c for c in mine if c in theirs]
        rows = s.execute('SELECT %s FROM %s' % (', '.join(cols), table))
        dst_con.executemany('INSERT INTO %s (%s) VALUES (%s)' % (
            table, ', '.join(cols), ', '.join('?' * len(cols))), rows)
    dst_con.commit()
    s.close()


def essentials(j):
    return (j['messages'], j['dmarc_pass'], j['history_domains'],
            sorted((s['ip'], s['class'], s.get('rejected'))
                   for s in j['sources']))


rc, so, se = run(['report', '--json'] + BASE)
want = essentials(json.loads(so))
for v in (1, 2, 3):
    vdb = os.path.join(out, 'v%d.db' % v)
    con = histdb.sqlite_at(vdb, v)
    copy_rows(hdb, con)
    con.close()
    mtime = os.stat(vdb).st_mtime_ns
    rc, so, se = run(['report', '--json', '--history', vdb, '--no-dns',
                      '--now', NOW])
    tap.is_(rc, 0, 'schema version %d read (%s)' % (v, se.strip()))
    tap.ok(rc == 0 and essentials(json.loads(so)) == want,
           'version %d: the same report as version %d' %
           (v, histdb.current_version()))
    c = sqlite3.connect(vdb)
    tap.is_(c.execute('PRAGMA user_version').fetchone()[0], v,
            'version %d left as it was (read-only)' % v)
    c.close()

ndb = os.path.join(out, 'newer.db')
shutil.copy(hdb, ndb)
c = sqlite3.connect(ndb)
c.execute('PRAGMA user_version = 9')
c.commit()
c.close()
rc, so, se = run(['report', '--history', ndb, '--no-dns'])
tap.is_(rc, 2, 'newer schema version: exit 2')
tap.like(se, re.escape(ndb) + r'.*schema version 9 is newer than version '
         + str(histdb.current_version()), 'says which database and which'
         ' versions: ' + se.strip())

# --- PostgreSQL -----------------------------------------------------------
pg = pgserver.start('policy_history')
if pg is None:
    tap.skip('no PostgreSQL: %s' % pgserver.last_error, 5)
else:
    histdb.pg_create(pg)
    histdb.pg_copy(tdb, pg)
    rc, so, se = run(['report', '--json'] + TBASE)
    want = json.loads(so)
    uri = pg.uri.replace('dmarcwarden@', 'dmarcwarden:s3cret@')
    PBASE = ['--history', uri, '--no-dns', '--now', NOW]
    rc, so, se = run(['report', '--json'] + PBASE)
    tap.is_(rc, 0, 'PostgreSQL history read (%s)' % se.strip())
    got = json.loads(so) if rc == 0 else {}
    tap.ok(rc == 0 and essentials(got) == essentials(want) and
           got['tempfailed_not_counted'] == 7,
           'PostgreSQL: the same report as SQLite, tempfailed left out')
    rc, so, se = run(['report', '--json'] + PBASE + ['b.example'])
    tap.is_(json.loads(so)['history_domains'][0]['reasons'] if rc == 0
            else se, 'local_policy 2', 'PostgreSQL: override reasons of one'
            ' domain')
    rc, so, se = run(['report'] + PBASE)
    tap.ok('s3cret' not in so + se and 'dmarcwarden:***@' in so,
           'the password is not shown')
    pg.psql("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    rc, so, se = run(['report'] + PBASE)
    tap.ok(rc == 2 and 'schema version 9 is newer' in se and
           's3cret' not in se, 'PostgreSQL: newer version refused: ' +
           se.strip())
    pg.destroy()

sys.exit(tap.done_testing())
