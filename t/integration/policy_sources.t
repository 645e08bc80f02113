#!/usr/bin/python3
"""policy_sources.t - dmarcwarden-policy on a report of 2,000 sources
(issue 14.4): PTR names are forward-confirmed before a source is grouped
under a provider (a PTR saying mail-fake.google.com whose name does not
resolve back to the address is grouped by its network, not under
google.com), sources without a PTR are grouped by network (/24), and
the text report stays readable: the largest sources, then one line per
provider or network, each list bounded, with the rest summed up."""

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import harness  # noqa: E402
import reportgen  # noqa: E402
import tap  # noqa: E402
from reportgen import run, simple_report  # noqa: E402

if not os.access(reportgen.TOOL, os.X_OK):
    tap.skip_all('policy/tool/dmarcwarden-policy not built')

out = harness.outdir('policy_sources')
db = os.path.join(out, 'reports.db')
DOMAIN = 'big.example'
GOOD = '209.85.220.41'         # mail-sor-f41.google.com, confirmed
FAKE = '203.0.113.66'          # PTR mail-fake.google.com, no such A record
records, zone = [], []


def rev(ip):
    return '.'.join(reversed(ip.split('.'))) + '.in-addr.arpa'


# 60 providers of 8 servers each, with forward-confirmed PTR names
for p in range(60):
    for k in range(8):
        ip = '100.64.%d.%d' % (p, k + 1)
        name = 'mta%d.prov%d.example' % (k, p)
        zone += ['%s PTR %s' % (rev(ip), name), '%s A %s' % (name, ip)]
        records.append({'ip': ip, 'count': 1000 - p * 10 - k, 'pdkim': 'pass',
                        'dkim': [(DOMAIN, 'pass')]})
zone += ['%s PTR mail-sor-f41.google.com' % rev(GOOD),
         'mail-sor-f41.google.com A %s' % GOOD,
         '%s PTR mail-fake.google.com' % rev(FAKE)]
records.append({'ip': GOOD, 'count': 5000, 'pdkim': 'pass',
                'dkim': [(DOMAIN, 'pass')]})
records.append({'ip': FAKE, 'count': 4000, 'spf': [(DOMAIN, 'fail')]})
# 1,518 small spoofing sources without PTR in seven /24 networks
for i in range(2000 - len(records)):
    records.append({'ip': '198.18.%d.%d' % (i // 253, i % 253 + 1),
                    'count': 20 + i % 3, 'spf': [(DOMAIN, 'fail')]})
tap.is_(len(records), 2000, '2,000 sources generated')
rpt = os.path.join(out, 'big.xml')
with open(rpt, 'wb') as f:
    f.write(simple_report('google.com', 'big-1', DOMAIN, reportgen.START,
                          records))
rc, so, se = run(['ingest', '--db', db, rpt])
tap.like(so, r'stored google\.com report big-1 .*2000 records', 'ingested')

dns = harness.start_dns('\n'.join(zone) + '\n')
if dns is None:
    tap.skip_all('test DNS unavailable: %s' % harness.last_dns_error)
NS = ['--nameservers', '127.0.0.1@%d' % dns.port, '--timeout', '2000']
WIN = ['--db', db, '--now', str(reportgen.START + 3 * 86400), '--days', '7']

t0 = time.monotonic()
rc, so, se = run(['report', '--json'] + WIN + NS + [DOMAIN], timeout=300)
tap.diag('report --json of 2,000 sources with 500 PTR and A lookups: '
         '%.2f s' % (time.monotonic() - t0))
j = json.loads(so) if so.startswith('{') else {}
src = dict((s['ip'], s) for s in j.get('sources', []))
tap.is_(len(src), 2000, 'JSON lists every source')
tap.is_(src.get(GOOD, {}).get('group'), 'google.com', 'forward-confirmed '
        'PTR: grouped under its provider')
tap.is_(src.get(FAKE, {}).get('ptr'), 'mail-fake.google.com', 'the '
        'unconfirmed PTR name is still shown')
tap.is_(src.get(FAKE, {}).get('group'), '203.0.113.0/24 (PTR not confirmed)',
        'unconfirmed PTR: grouped by network, not under google.com')
tap.is_(src.get('100.64.3.5', {}).get('group'), 'prov3.example',
        'provider servers grouped by their registrable domain')
tap.is_(src.get('198.18.2.7', {}).get('group'), '198.18.2.0/24 (no PTR)',
        'no PTR: grouped by its /24')
groups = dict((g['name'], g) for g in j.get('groups', []))
tap.is_(groups.get('prov7.example', {}).get('sources'), 8, 'JSON groups: '
        'prov7.example has 8 sources')
tap.is_(groups.get('google.com', {}).get('classes'), ['authorized'],
        'JSON groups: google.com holds only the authorized source')

rc, so, se = run(['report'] + WIN + NS + [DOMAIN], timeout=300)
lines = so.splitlines()
tap.ok(len(lines) < 200, 'text report of 2,000 sources: %d lines (< 200)'
       % len(lines))
tap.like(so, r'\.\.\. and 1960 smaller sources \(\d+ messages, [\d.]+%\): '
         r'see the providers below', 'the smaller sources are summed up')
tap.like(so, r'\nprov0\.example +8 +\d+ +100\.0% +100\.64\.0\.1 +'
         r'authorized\n', 'one line per provider: 8 sources, largest one')
tap.like(so, r'\n198\.18\.0\.0/24 \(no PTR\) +253 ', 'one line per network')
tap.like(so, r'\ngoogle\.com +1 +5000 ', 'google.com: only the confirmed '
         'source')
tap.like(so, r'\.\.\. and \d+ smaller groups \(\d+ sources, \d+ messages\)',
         'the smaller groups are summed up')
rc, so, se = run(['advise'] + WIN + NS + [DOMAIN], timeout=300)
tap.ok(len(so.splitlines()) < 250, 'advise text: %d lines (< 250)'
       % len(so.splitlines()))
tap.like(so, r'\.\.\. and \d+ more unknown/spoof sources \([\d.]+/day\)',
         'advise: spoofing sources beyond a screenful summed up')

dns.stop()
sys.exit(tap.done_testing())
