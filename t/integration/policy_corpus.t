#!/usr/bin/python3
"""policy_corpus.t - dmarcwarden-policy on a generated corpus of received
aggregate reports (t/lib/reportgen.py: 5 reporters, 21 days, 3 domains,
both formats, .xml/.xml.gz/.zip/.eml/mbox/Maildir): ingest and dedup,
classification of every source, figures recomputed independently from
the generator's records, replayed impact of the next stage, the stage
advised and the record to publish, thresholds, and golden text output
(t/data/policy/*.ref; DW_REGEN=1 rewrites them)."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import harness  # noqa: E402
import reportgen  # noqa: E402
import tap  # noqa: E402
from reportgen import NOW, run  # noqa: E402

REF = os.path.join(HERE, '..', 'data', 'policy')

if not os.access(reportgen.TOOL, os.X_OK):
    tap.skip_all('policy/tool/dmarcwarden-policy not built')

out = harness.outdir('policy_corpus')
corpus = reportgen.generate(os.path.join(out, 'corpus'))
db = os.path.join(out, 'reports.db')
dns = harness.start_dns(corpus.ptr_zone() + reportgen.dmarc_zone())
if dns is None:
    tap.skip_all('test DNS unavailable: %s' % harness.last_dns_error)
NS = ['--nameservers', '127.0.0.1@%d' % dns.port, '--timeout', '2000']
WIN = ['--db', db, '--now', str(NOW), '--days', '30']

# ---- ingest ---------------------------------------------------------------
rc, so, se = run(['ingest', '--db', db, os.path.join(out, 'corpus')])
tap.is_(rc, 0, 'ingest of the whole corpus exits 0')
tap.like(so, r'ingest: \d+ files, %d reports stored \(%d records, %d '
         r'messages\), 1 duplicates, 0 rejected' % (
             corpus.reports, len(corpus.rows),
             sum(r['count'] for r in corpus.rows)),
         'every report stored once, the resent one counted as duplicate')
for kind, pat in (('gzip', r'\.xml\.gz: stored google\.com'),
                  ('plain xml', r'example\.org![^ ]*\.xml: stored google'),
                  ('zip', r'\.zip\[[^]]*\.xml\]: stored Yahoo'),
                  ('eml', r'\.eml\[[^]]*\.xml\.gz\]: stored Receiver Nine'),
                  ('mbox', r'reports\.mbox\[message 7\]\[.*\.zip\]\[.*\.xml'
                           r'\]: stored Outlook\.com'),
                  ('maildir', r'maildir/(new|cur)/[^[]*\[[^]]*\.xml\]: '
                              r'stored Fastmail'),
                  ('RFC 9990 format', r'stored Fastmail report .*\(rfc9990'),
                  ('RFC 7489 format', r'stored Yahoo report .*\(rfc7489')):
    tap.like(so, pat, 'ingested from %s' % kind)
rc, so, se = run(['ingest', '--db', db, os.path.join(out, 'corpus')])
tap.like(so, r'ingest: 0 files, 0 reports stored .*, 0 duplicates, 0 '
         r'rejected, .*\d+ files unchanged since ingested \(skipped\)',
         'second ingest: every file remembered, none read again')
rc, so, se = run(['ingest', '--rescan', '--db', db,
                  os.path.join(out, 'corpus')])
tap.like(so, r', 0 reports stored .*, %d duplicates, 0 rejected'
         % (corpus.reports + 1), 'ingest --rescan: everything is a '
         'duplicate')


def report_json(domain, extra=()):
    rc, so, se = run(['report', '--json'] + WIN + NS + list(extra) +
                     [domain])
    if rc != 0:
        tap.diag(se)
        return None
    return json.loads(so)


def advise_json(domain, extra=()):
    rc, so, se = run(['advise', '--json'] + WIN + NS + list(extra) +
                     [domain])
    return rc, json.loads(so) if so.startswith('{') else None


# ---- classification and figures, recomputed from the generator's rows ------
for domain in sorted(reportgen.POLICIES):
    rows = [r for r in corpus.rows if r['domain'] == domain]
    j = report_json(domain)
    if not tap.ok(j is not None, '%s: report --json parses' % domain):
        continue
    total = sum(r['count'] for r in rows)
    passed = sum(r['count'] for r in rows if r['dkim_aligned'] or
                 r['spf_aligned'])
    tap.is_(j['messages'], total, '%s: message total' % domain)
    tap.is_(j['dmarc_pass'], passed, '%s: DMARC pass total' % domain)
    tap.is_(j['days_with_data'], reportgen.DAYS, '%s: days with data'
            % domain)
    tap.is_(j['reporters'], len(reportgen.REPORTERS), '%s: reporters'
            % domain)
    got = dict((s['ip'], s['class']) for s in j['sources'])
    tap.is_(got, corpus.expected_class[domain],
            '%s: every source classified as designed' % domain)
    vol = dict((s['ip'], s['messages']) for s in j['sources'])
    want = {}
    for r in rows:
        want[r['ip']] = want.get(r['ip'], 0) + r['count']
    tap.is_(vol, want, '%s: volume per source' % domain)
    tap.is_([s['messages'] for s in j['sources']],
            sorted(want.values(), reverse=True),
            '%s: sources sorted by volume' % domain)

j = report_json('example.com')
src = dict((s['ip'], s) for s in j['sources'])
tap.is_(src['192.0.2.10']['ptr'], 'mail.example.com', 'PTR name looked up')
tap.is_(src['198.51.100.20']['group'], 'example.net',
        'provider group is the PTR name\'s registrable domain')
tap.is_(src['198.18.0.66']['group'], '198.18.0.0/24 (no PTR)',
        'no PTR: grouped by its network')
tap.is_(src['198.51.100.20']['authenticated_as'], 'esp.example.net',
        'misaligned ESP: the domain it authenticates as')
tap.is_(src['203.0.113.5']['spf_aligned_rate'], 0.0,
        'forwarder: SPF never aligned')
tap.ok(src['203.0.113.5']['dkim_aligned_rate'] > 50,
       'forwarder: DKIM aligned for most mail')
tap.is_(sum(d['messages'] for d in j['days']), j['messages'],
        'daily series adds up to the total')
tap.is_(sum(sum(d['by_class'].values()) for d in j['days']),
        j['messages'], 'daily volume by class adds up to the total')

# ---- advice -----------------------------------------------------------------
rc, a = advise_json('example.com')
adv = a['advice']
tap.is_(rc, 1, 'example.com: advise exits 1 (not ready)')
tap.is_((adv['stage'], adv['next'], adv['ready']),
        ('none', 'quarantine-ramp', False),
        'example.com: p=none, next is the quarantine ramp, not ready')
tap.is_(adv['policy_origin'], 'DNS', 'current policy read from DNS')
tap.is_(len(adv['blockers']), 1, 'example.com: one blocker')
tap.like(adv['blockers'][0], r'^8\.\d% of the mail comes from legitimate '
         r'senders that are not aligned', 'the blocker is the unaligned ESP')
rows = [r for r in corpus.rows if r['domain'] == 'example.com']
want = reportgen.expected_impact(rows)
for cls in ('authorized', 'misaligned', 'forwarder', 'mailing_list',
            'spoof'):
    got = adv['impact_per_day'][cls]['quarantined']
    tap.ok(abs(got - want.get(cls, 0.0)) < 0.006,
           'example.com ramp replay, %s: %.2f/day quarantined (expected '
           '%.3f)' % (cls, got, want.get(cls, 0.0)))
full = reportgen.expected_impact(rows, ramp=False)
tap.ok(abs(adv['impact_per_day']['spoof']['full'] - full['spoof']) < 0.006,
       'example.com: spoofed mail per day under full quarantine')
tap.is_(adv['impact_per_day']['authorized']['rejected'], 0.0,
        'a quarantine stage rejects nothing')
tap.is_(adv['record'], 'v=DMARC1; p=quarantine; pct=25; t=y; sp=none; '
        'np=reject; rua=mailto:dmarc@example.com',
        'example.com: next record keeps rua, holds subdomains back (sp=none)')
fix = dict((s['ip'], s['fix']) for s in adv['affected_sources'])
tap.like(fix.get('198.51.100.20'), r'sign with DKIM d=example\.com',
         'fix for the ESP: aligned DKIM')
tap.like(fix.get('192.0.2.11'), r'add 192\.0\.2\.11 to the SPF record of '
         r'example\.com', 'fix for the flaky host: SPF')
tap.like(fix.get('198.18.0.66'), r'meant to stop', 'spoofer: no fix')

rc, a = advise_json('example.net')
adv = a['advice']
tap.is_((rc, adv['stage'], adv['next'], adv['ready'], adv['blockers']),
        (0, 'none', 'quarantine-ramp', True, []),
        'example.net: ready for the quarantine ramp, exit 0')
tap.is_(adv['record'], 'v=DMARC1; p=quarantine; pct=25; t=y; np=reject; '
        'rua=mailto:dmarc@example.net', 'example.net: ramp record')
want = reportgen.expected_impact(
    [r for r in corpus.rows if r['domain'] == 'example.net'])
tap.ok(abs(adv['impact_per_day']['spoof']['quarantined'] - want['spoof'])
       < 0.006, 'example.net: only the spoofer is hit (%.2f/day)'
       % want['spoof'])

rc, a = advise_json('example.org')
adv = a['advice']
tap.is_((rc, adv['stage'], adv['next'], adv['ready']),
        (0, 'quarantine-ramp', 'quarantine', True),
        'example.org: after 21 days of the ramp, ready for p=quarantine')
tap.is_(adv['days_at_stage'], 21, 'example.org: days at the current stage')
tap.is_(adv['record'], 'v=DMARC1; p=quarantine; np=reject; '
        'rua=mailto:dmarc@example.org', 'example.org: full quarantine record')
want = reportgen.expected_impact(
    [r for r in corpus.rows if r['domain'] == 'example.org'], ramp=False)
tap.ok(abs(adv['impact_per_day']['spoof']['quarantined'] - want['spoof'])
       < 0.006, 'example.org: full quarantine replay of the spoofer')

# ---- thresholds are configurable and stated ------------------------------
rc, a = advise_json('example.net', ['--min-pass', '99.9', '--min-days',
                                    '30', '--min-reporters', '6'])
bl = ' | '.join(a['advice']['blockers'])
tap.is_(rc, 1, 'stricter thresholds: not ready')
tap.like(bl, r'only 21 days with data \(min-days 30\)', 'min-days blocker')
tap.like(bl, r'reports from 5 reporters \(min-reporters 6\)',
         'min-reporters blocker')
tap.like(bl, r'authorized source 192\.0\.2\.20 \(mail\.example\.net\) '
         r'passes aligned for 100\.0% .*|^((?!192\.0\.2\.20).)*$',
         'a 100% source is no min-pass blocker')
rc, a = advise_json('example.com', ['--min-pass', '99', '--max-unexplained',
                                    '10'])
bl = ' | '.join(a['advice']['blockers'])
tap.like(bl, r'authorized source 192\.0\.2\.11 \(mail2\.example\.com\) '
         r'passes aligned for 98\.\d% of \d+ messages \(min-pass 99\.0%\)',
         'min-pass 99 makes the 98.6% host a blocker')
tap.unlike(bl, r'not aligned', 'max-unexplained 10 accepts the ESP')
cfg = os.path.join(out, 'thresholds.conf')
with open(cfg, 'w') as f:
    f.write('# thresholds\nmin-days = 7\nramp-pct = 50\n')
rc, a = advise_json('example.net', ['--config', cfg])
tap.is_((a['advice']['thresholds']['min_days'],
         a['advice']['thresholds']['ramp_pct']), (7, 50),
        '--config file sets thresholds')
tap.like(a['advice']['record'], r'pct=50; t=y', 'ramp-pct used in the record')
with open(cfg, 'w') as f:
    f.write('min-dayz = 7\n')
rc, so, se = run(['advise', '--config', cfg] + WIN + ['example.net'])
tap.is_(rc, 2, 'unknown threshold name: usage error')
tap.like(se, r'thresholds\.conf:1: expected NAME = VALUE',
         'error names the file and line')
rc, so, se = run(['advise', '--min-pass', '101'] + WIN + ['example.net'])
tap.is_(rc, 2, '--min-pass 101 refused')

# ---- current policy from --record, window --------------------------------
rc, a = advise_json('example.com', ['--record', 'v=DMARC1; p=reject'])
tap.is_((a['advice']['stage'], a['advice']['final']), ('reject', True),
        '--record p=reject: final stage')
rc, a = advise_json('example.com', ['--record',
                                    'v=DMARC1; p=reject; pct=50'])
tap.is_((a['advice']['stage'], a['advice']['next']),
        ('reject-ramp', 'reject'), 'p=reject pct=50 is the reject ramp')
tap.like(' | '.join(a['advice']['blockers']), r'does not appear in the '
         r'reports yet', 'a policy the reports never showed is a blocker')
want = reportgen.expected_impact(rows, ramp=False)
tap.ok(abs(a['advice']['impact_per_day']['spoof']['rejected'] -
           want['spoof']) < 0.006, 'p=reject replay: spoofer rejected')
rc, so, se = run(['report', '--json', '--db', db, '--no-dns', '--now',
                  str(reportgen.START + 5 * 86400), '--days', '3',
                  'example.net'])
j = json.loads(so)
tap.is_(j['days_with_data'], 3, '--days 3 window: 3 days of data')
rc, so, se = run(['report', '--db', db, '--no-dns', '--now', str(NOW),
                  'nothing.example'])
tap.like(so, r'No records in this window', 'unknown domain: no records')
rc, so, se = run(['report', '--db', os.path.join(out, 'missing.db'),
                  'example.com'])
tap.is_(rc, 2, 'missing database: exit 2')
tap.like(se, r'no such database', 'missing database: says so')

rc, so, se = run(['report', '--db', db, '--now', str(NOW), '--nameservers',
                  '127.0.0.1@1', '--timeout', '200', 'example.com'])
tap.is_(rc, 0, 'dead resolver: the report is still made')
tap.like(se, r'3 PTR lookups failed in a row .*no more PTR names',
         'PTR lookups given up after 3 failures, said once')

# ---- golden text output -----------------------------------------------------
for name, args in (('example.com.report', ['report'] + WIN + NS +
                    ['example.com']),
                   ('example.com.advise', ['advise'] + WIN + NS +
                    ['example.com']),
                   ('example.org.advise', ['advise'] + WIN + NS +
                    ['example.org'])):
    rc, so, se = run(args)
    path = os.path.join(REF, name + '.ref')
    if os.environ.get('DW_REGEN'):
        with open(path, 'w') as f:
            f.write(so)
    with open(path) as f:
        ref = f.read()
    if not tap.is_(so == ref, True, 'golden output %s' % name):
        tap.diag(so)

dns.stop()
sys.exit(tap.done_testing())
