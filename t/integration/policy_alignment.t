#!/usr/bin/python3
"""policy_alignment.t - dmarcwarden-policy uses the published adkim/aspf
(issue 14.1): under adkim=s; aspf=s the owner's own mail, DKIM-signed
and SPF-authenticated as mail.owner.example (a subdomain of the author
domain), fails DMARC; it must be shown as the owner's misaligned mail,
never as spoofing, and `advise` must not say the domain is ready to
quarantine it.  "Spoof" is said only of a source for which nothing
passed: a sender authenticating for part of its mail is not one."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import harness  # noqa: E402
import reportgen  # noqa: E402
import tap  # noqa: E402
from reportgen import run, simple_report  # noqa: E402

if not os.access(reportgen.TOOL, os.X_OK):
    tap.skip_all('policy/tool/dmarcwarden-policy not built')

out = harness.outdir('policy_alignment')
db = os.path.join(out, 'reports.db')
START = reportgen.START
DAYS = 20
OWN = '192.0.2.10'        # owner's MTA: authenticates as mail.owner.example
GOOD = '192.0.2.20'       # owner's other MTA: d=owner.example, aligned
PART = '198.51.100.7'     # ESP: 3 of 10 messages pass DKIM as esp.example
SPOOF = '203.0.113.5'     # nothing passes


def records(strict):
    own_pass = 'fail' if strict else 'pass'
    return [
        {'ip': OWN, 'count': 100, 'pdkim': own_pass, 'pspf': own_pass,
         'dkim': [('mail.owner.example', 'pass')],
         'spf': [('mail.owner.example', 'pass')]},
        {'ip': GOOD, 'count': 1000, 'pdkim': 'pass',
         'dkim': [('owner.example', 'pass')],
         'spf': [('owner.example', 'pass')]},
        {'ip': PART, 'count': 3, 'dkim': [('esp.example', 'pass')],
         'spf': [('esp.example', 'fail')]},
        {'ip': PART, 'count': 7, 'spf': [('esp.example', 'fail')]},
        {'ip': SPOOF, 'count': 5, 'spf': [('owner.example', 'fail')]},
    ]


def ingest(domain, strict):
    d = os.path.join(out, domain)
    os.makedirs(d)
    pol = {'adkim': 's', 'aspf': 's'} if strict else {'adkim': 'r'}
    for day in range(DAYS):
        for org in ('google.com', 'Yahoo'):
            xml = simple_report(org, '%s-%s-%d' % (org, domain, day), domain,
                                START + day * 86400,
                                [dict(r, header_from=domain) for r in
                                 records(strict)], pol)
            with open(os.path.join(d, '%s-%d.xml' % (org, day)), 'wb') as f:
                f.write(xml)
    rc, so, se = run(['ingest', '-q', '--db', db, d])
    tap.is_(rc, 0, '%s: reports ingested' % domain)


def advise(domain, record):
    rc, so, se = run(['advise', '--json', '--no-dns', '--db', db, '--now',
                      str(START + (DAYS + 1) * 86400), '--days', '30',
                      '--record', record, domain])
    try:
        return rc, json.loads(so)
    except ValueError:
        tap.diag(so, se)
        return rc, {}


ingest('owner.example', True)
rc, j = advise('owner.example', 'v=DMARC1; p=none; adkim=s; aspf=s')
cls = dict((s['ip'], s) for s in j.get('sources', []))
own = cls.get(OWN, {})
tap.isnt(own.get('class'), 'spoof', "strict: the owner's DKIM-passing mail "
         "is not labelled spoof")
tap.is_(own.get('class'), 'misaligned', 'strict: it is the owner\'s '
        'misaligned mail')
tap.like(own.get('why'), r'mail\.owner\.example.*strict alignment',
         'strict: the reason names the domain and strict alignment')
tap.is_(cls.get(GOOD, {}).get('class'), 'authorized', 'aligned MTA: '
        'authorized')
tap.is_(cls.get(PART, {}).get('class'), 'misaligned', 'a sender passing '
        'DKIM for 3 of 10 messages is not called spoof')
tap.is_(cls.get(SPOOF, {}).get('class'), 'spoof', 'nothing passed: spoof')
adv = j.get('advice', {})
tap.is_(adv.get('ready'), False, 'strict: advise is not READY to '
        'quarantine the owner\'s mail')
tap.is_(rc, 1, 'strict: advise exits 1 (not ready)')
tap.like(' '.join(adv.get('blockers', [])), r'not aligned',
         'strict: a blocker names the misaligned legitimate mail')
fix = [a['fix'] for a in adv.get('affected_sources', []) if a['ip'] == OWN]
tap.like(fix[0] if fix else None, r'adkim=r', 'strict: the fix suggests '
         'relaxed alignment or signing as the exact domain')

# the same mail under relaxed alignment passes (the receiver said so)
ingest('relaxed.example', False)
rc, j = advise('relaxed.example', 'v=DMARC1; p=none')
cls = dict((s['ip'], s['class']) for s in j.get('sources', []))
tap.is_(cls.get(OWN), 'authorized', 'relaxed: the same mail is authorized')
tap.is_(cls.get(SPOOF), 'spoof', 'relaxed: the spoofer is still spoof')

sys.exit(tap.done_testing())
