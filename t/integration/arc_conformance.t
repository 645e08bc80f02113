#!/usr/bin/python3
"""arc_conformance - the public ARC validation suite through milter/arc.c.

For each YAML document of ../shared/conformance/arc/arc-validation-tests.yml
(format in ../shared/conformance/README.md) the document's txt-records
become a testdns zone, and every test message is verified by
t/tools/arcverify against that server.  One TAP line per case: our cv
must equal the suite's.  A document may fix the verification time (a
"now", "time" or "t" key at document or test level): it is passed as
arcverify -t; the current suite has none (its seals carry t=12345 and no
x=).

The suite was written against draft-ietf-dmarc-arc-protocol-18.  Where we
follow RFC 8617 (and the RFCs it imports) instead, the case is listed in
t/data/arc-deviations.txt as "NAME OUR-CV REASON" citing the section; a
listed case must give exactly OUR-CV.  An unlisted disagreement fails,
and so does "pass" where the suite says anything else.  The last line
reports how many cases agree with the suite.
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
# ARC_SUITE overrides, for trees copied elsewhere (sanitizer builds).
SUITE = os.environ.get('ARC_SUITE') or os.path.join(
    os.path.dirname(TOP), 'shared', 'conformance', 'arc',
    'arc-validation-tests.yml')
DEVIATIONS = os.path.join(TOP, 't', 'data', 'arc-deviations.txt')
DRIVER = os.path.join(TOP, 't', 'tools', 'arcverify')
sys.path.insert(0, os.path.join(TOP, 't', 'lib'))

TIME_KEYS = ('now', 'time', 't')


def load_deviations():
    dev = {}
    with open(DEVIATIONS) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            name, cv, why = (line.split(None, 2) + ['', ''])[:3]
            dev[name] = (cv, why)
    return dev


def fixed_time(doc, test):
    for src in (test, doc):
        for k in TIME_KEYS:
            if k in src and str(src[k]).strip().isdigit():
                return int(src[k])
    return None


def expected(test):
    cv = test.get('cv')
    return ('' if cv is None else str(cv)).strip().lower()


def zone_text(doc, testdns):
    lines = []
    for name, val in (doc.get('txt-records') or {}).items():
        lines.append('%s TXT %s' % (testdns.escape_name(name),
                                    testdns.quote_txt(str(val).encode())))
    return '\n'.join(lines) + '\n'


def run_doc(doc, testdns, arctest):
    dns = testdns.TestDNS(zone_text(doc, testdns))
    port = dns.start()
    out = []
    try:
        for name, test in doc['tests'].items():
            msg = (test.get('message') or '').encode('utf-8')
            res = arctest.run_arcverify(DRIVER, port, msg,
                                        now=fixed_time(doc, test))
            out.append((name, test, res))
    finally:
        dns.stop()
    return out


def main():
    if not os.path.exists(SUITE):
        print('1..0 # SKIP ARC conformance suite not found at %s' % SUITE)
        return 0
    if not os.access(DRIVER, os.X_OK):
        print('1..0 # SKIP %s not built' % DRIVER)
        return 0
    import yaml
    import testdns
    import arctest
    with open(SUITE, 'rb') as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    dev = load_deviations()
    start = time.time()
    results = []
    for doc in docs:
        results.extend(run_doc(doc, testdns, arctest))
    print('1..%d' % len(results))
    agree = failed = listed = 0
    seen = set()
    for i, (name, test, res) in enumerate(results, 1):
        seen.add(name)
        want, got = expected(test), res.get('cv', 'crash')
        if res['exit'] != 0 or res['stderr']:   # sanitizer reports
            got = 'crash(exit %d)' % res['exit']
        desc = '%s: got %s, suite %s' % (name, got, want or "''")
        if got == want:
            agree += 1
            print('ok %d - %s' % (i, desc))
            if name in dev:
                print('# listed deviation %s agrees now; remove it' % name)
        elif got == 'pass':
            failed += 1
            print('not ok %d - %s (false pass) %s' % (i, desc,
                                                      res.get('reason')))
        elif name in dev and dev[name][0] == got:
            listed += 1
            print('ok %d - %s # deviation: %s' % (i, desc, dev[name][1]))
        else:
            failed += 1
            print('not ok %d - %s' % (i, desc))
            print('#   reason=%s %s' % (res.get('reason'),
                                        res.get('stderr', '').strip()))
    for name in sorted(set(dev) - seen):
        print('# deviation %s names no test case' % name)
    print('# %d/%d cases agree with the suite, %d listed deviations, '
          '%d unlisted disagreements, %.1fs'
          % (agree, len(results), listed, failed, time.time() - start))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
