#!/usr/bin/python3
"""policy_history.t - dmarcwarden-policy report on the milter's own history
database (schema taken from history/schema.h): what dmarcwarden
did per author domain (pass, fail, quarantined, rejected, overrides and
their reasons), the per-source view of one domain, --json, the window,
and refusal of a file that is not a history database."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import harness  # noqa: E402
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

sys.exit(tap.done_testing())
