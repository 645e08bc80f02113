#!/usr/bin/python3
"""policy_check.t - dmarcwarden-policy check against zones served by the test
DNS: a valid setup, syntax errors with their position, an invalid record,
several records, inherited policy, SPF with 11 lookups, void lookups,
include loops and missing include targets, external rua destinations with
and without the RFC 9990 authorization record, DNS failures."""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import harness  # noqa: E402
import reportgen  # noqa: E402
import tap  # noqa: E402
from reportgen import run  # noqa: E402

if not os.access(reportgen.TOOL, os.X_OK):
    tap.skip_all('policy/tool/dmarcwarden-policy not built')

INC = ' '.join('include:s%d.many.example' % i for i in range(1, 10))
ZONE = r'''
_dmarc.good.example TXT "v=DMARC1; p=quarantine; sp=reject; adkim=s; rua=mailto:dmarc@good.example,mailto:rua@vendor.example"
good.example._report._dmarc.vendor.example TXT "v=DMARC1"
good.example TXT "v=spf1 ip4:192.0.2.1 include:_spf.good.example mx -all"
good.example TXT "google-site-verification=abc"
_spf.good.example TXT "v=spf1 a:out.good.example ~all"
out.good.example A 192.0.2.2
good.example MX 10 mx.good.example
mx.good.example A 192.0.2.3
www.good.example A 192.0.2.4

_dmarc.unauth.example TXT "v=DMARC1; p=none; rua=mailto:reports@collector.example"
unauth.example TXT "v=spf1 -all"

_dmarc.syntax.example TXT "v=DMARC1; p=reject; adkim=x; rua=mailto:d@syntax.example"
syntax.example TXT "v=spf1 -all"
_dmarc.dup.example TXT "v=DMARC1; p=reject; p=none"
_dmarc.errors.example TXT "v=DMARC1; p=reject; adkim=x; aspf=y; pct=150; rua=foo; fo=9; p=none; ri=abc; bogus"
errors.example TXT "v=spf1 -all"
_dmarc.two.example TXT "v=DMARC1; p=reject"
_dmarc.two.example TXT "v=DMARC1; p=none"

_dmarc.many.example TXT "v=DMARC1; p=none; rua=mailto:d@many.example"
many.example TXT "v=spf1 %s a:host.many.example mx -all"
host.many.example A 192.0.2.9
many.example MX 10 host.many.example
''' % INC + ''.join('s%d.many.example TXT "v=spf1 ip4:192.0.2.%d -all"\n'
                    % (i, i) for i in range(1, 10)) + r'''
_dmarc.void.example TXT "v=DMARC1; p=none; rua=mailto:d@void.example"
void.example TXT "v=spf1 a:gone1.void.example a:gone2.void.example exists:gone3.void.example -all"
_dmarc.loop.example TXT "v=DMARC1; p=none; rua=mailto:d@loop.example"
loop.example TXT "v=spf1 include:a.loop.example -all"
a.loop.example TXT "v=spf1 include:loop.example -all"
_dmarc.noinc.example TXT "v=DMARC1; p=none; rua=mailto:d@noinc.example"
noinc.example TXT "v=spf1 include:nothing.noinc.example -all"
nothing.noinc.example A 192.0.2.10
_dmarc.badspf.example TXT "v=DMARC1; p=none; rua=mailto:d@badspf.example"
badspf.example TXT "v=spf1 ip4:192.0.2.300 -all"
_dmarc.slow.example TIMEOUT
'''

dns = harness.start_dns(ZONE)
if dns is None:
    tap.skip_all('test DNS unavailable: %s' % harness.last_dns_error)
NS = ['--nameservers', '127.0.0.1@%d' % dns.port, '--timeout', '600']


def check(domain):
    rc, so, se = run(['check'] + NS + [domain])
    return rc, so + se


rc, o = check('good.example')
tap.is_(rc, 0, 'good.example: exit 0')
tap.like(o, r'Result: VALID \(0 errors, 0 warnings\)', 'valid, no warnings')
tap.like(o, r'_dmarc\.good\.example TXT "v=DMARC1; p=quarantine; sp=reject',
         'shows the record')
tap.like(o, r'\n +p +quarantine +policy for the domain itself',
         'explains p')
tap.like(o, r'\n +np +reject +\(default\) +policy for non-existent',
         'np defaulted from sp, marked as default')
tap.like(o, r'\n +adkim +s +DKIM alignment strict', 'adkim=s explained')
tap.like(o, r'good\.example \(RFC 9989 DNS tree walk, \d+ queries\)',
         'organizational domain by tree walk')
tap.like(o, r'good\.example \(RFC 7489 Public Suffix List\)',
         'organizational domain by the PSL')
tap.like(o, r'DNS lookups: 3 of 10; void lookups: 0 of 2', 'SPF: 3 lookups')
tap.like(o, r'include:_spf\.good\.example: lookup 1 of 10\n +a:out\.good\.'
         r'example: lookup 2 of 10', 'nested include walked')
tap.like(o, r'rua mailto:dmarc@good\.example: same organizational domain',
         'internal rua needs no authorization')
tap.like(o, r'rua mailto:rua@vendor\.example: external, authorized by '
         r'good\.example\._report\._dmarc\.vendor\.example',
         'external rua authorized')

rc, o = check('unauth.example')
tap.is_(rc, 1, 'unauthorized external rua: exit 1')
tap.like(o, r'ERROR: rua mailto:reports@collector\.example: external '
         r'destination not authorized: no "v=DMARC1" TXT record at '
         r'unauth\.example\._report\._dmarc\.collector\.example',
         'names the missing authorization record')

rc, o = check('syntax.example')
tap.is_(rc, 1, 'syntax error: exit 1')
tap.like(o, r'ERROR: tag adkim: invalid value "x" at offset 26 ignored',
         'error names the tag, value and offset')
m = re.search(r'\n( +)v=DMARC1; p=reject; adkim=x;[^\n]*\n( +)\^', o)
tap.ok(m and len(m.group(2)) - len(m.group(1)) == 26,
       'caret under byte 26 of the record')
tap.like(o, r'\n +adkim +r +\(default\)', 'the bad value falls back to r')

rc, o = check('dup.example')
tap.is_(rc, 1, 'duplicate tag: exit 1')
tap.like(o, r'the record is invalid and applies no policy', 'invalid record')
tap.like(o, r'duplicate tag p at offset \d+', 'duplicate tag named')
rc, o = check('errors.example')
tap.is_(rc, 1, 'many syntax errors: exit 1')
for what in (r'tag adkim: invalid value "x" at offset 26',
             r'tag aspf: invalid value "y" at offset 34',
             r'tag pct: invalid value "150" at offset 41',
             r'tag rua: invalid URI "foo" at offset 50',
             r'tag fo: invalid value "9" at offset 58',
             r'duplicate tag p at offset 61',
             r'tag ri: invalid value "abc" at offset 72',
             r'malformed tag-spec at offset 77'):
    tap.like(o, r'ERROR: ' + what, 'every syntax error listed: ' + what)
rc, o = check('two.example')
tap.like(o, r'ERROR: 2 DMARC records at _dmarc\.two\.example',
         'two records: error')

rc, o = check('www.good.example')
tap.is_(rc, 0, 'subdomain without its own record: valid')
tap.like(o, r'_dmarc\.www\.good\.example: no DMARC record',
         'says the subdomain has no record')
tap.like(o, r'policy applied from _dmarc\.good\.example \(inherited: sp or '
         r'np applies\)', 'inherited from the organizational domain')

rc, o = check('nothing-here.example')
tap.is_(rc, 1, 'no policy anywhere: exit 1')
tap.like(o, r'ERROR: no DMARC policy applies to nothing-here\.example',
         'no policy')
tap.like(o, r'warning: nothing-here\.example has no SPF record',
         'missing SPF is a warning')

rc, o = check('many.example')
tap.is_(rc, 1, 'SPF with 11 lookups: exit 1')
tap.like(o, r'include:s9\.many\.example: lookup 9 of 10\n +a:host\.many\.'
         r'example: lookup 10 of 10\n +mx: lookup 11 of 10',
         'every lookup counted')
tap.like(o, r'error: 11 DNS lookups, more than 10 \(permerror at receivers\)',
         '11 lookups is an error')

rc, o = check('void.example')
tap.is_(rc, 1, '3 void lookups: exit 1')
tap.like(o, r'void lookup: gone3\.void\.example \(3 of 2\)',
         'void lookups counted')
tap.like(o, r'error: 3 void lookups, more than 2', 'void limit error')

rc, o = check('loop.example')
tap.like(o, r'error: loop\.example is included twice', 'include loop found')
tap.is_(rc, 1, 'include loop: exit 1')
rc, o = check('noinc.example')
tap.like(o, r'error: include target nothing\.noinc\.example has no SPF '
         r'record \(permerror\)', 'include target without SPF')
rc, o = check('badspf.example')
tap.like(o, r'error: badspf\.example: SPF syntax:', 'strict SPF syntax error')
tap.is_(rc, 1, 'SPF syntax error: exit 1')

rc, o = check('slow.example')
tap.is_(rc, 2, 'DNS timeout: exit 2 (could not check), not 1 (invalid)')
tap.like(o, r'Result: UNKNOWN: DNS failures, the setup could not be checked',
         'DNS timeout: the setup is not called invalid')
tap.unlike(o, r'ERROR', 'DNS timeout: no ERROR line')
tap.like(o, r'_dmarc\.slow\.example: DNS failure \(timeout\)',
         'timeout reported as a DNS failure')

rc, so, se = run(['check'] + NS)
tap.is_(rc, 2, 'no DOMAIN: usage error')
rc, so, se = run(['check'] + NS + ['bad..name'])
tap.is_(rc, 2, 'invalid DOMAIN: usage error')
tap.like(se, r'invalid domain', 'says the domain is invalid')
rc, so, se = run(['check', '--nameservers', 'not-an-address', 'a.example'])
tap.is_(rc, 2, 'bad nameserver: exit 2')

dns.stop()
sys.exit(tap.done_testing())
