#!/usr/bin/python3
"""spf_conformance - the openspf RFC 7208 suite through milter/spf.c.

For each YAML document of ../shared/conformance/spf/rfc7208-tests.yml the
zone data becomes a testdns zone, one testdns server answers it, and one
t/tools/spfcheck process (batch mode, one shared resolver as in the milter)
runs every test case of the document.  One TAP line per case.

Zone conversion (as the suite's README asks): records of type SPF are
served as RFC 7208 describes the world today: kept as type 99 (which we
never query) and copied into TXT, unless the name has TXT records of its
own or "TXT: NONE".  In the suite, TIMEOUT means that queries for the
types a name has no records of time out; testdns's TIMEOUT pseudo-type
covers every type, so it is used only when the name has no TXT data (TXT
is the only type our code asks for at those names).

Known failures are listed, with the reason, in t/data/spf-deviations.txt.
A failing case not listed there fails the test; a listed case that passes
is reported with a diag line.  Returning "pass" where the suite expects
something else always fails, listed or not.
"""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
# SPF_SUITE overrides, for trees copied elsewhere (sanitizer builds).
SUITE = os.environ.get('SPF_SUITE') or os.path.join(
    os.path.dirname(TOP), 'shared', 'conformance', 'spf', 'rfc7208-tests.yml')
DEVIATIONS = os.path.join(TOP, 't', 'data', 'spf-deviations.txt')
DRIVER = os.path.join(TOP, 't', 'tools', 'spfcheck')
sys.path.insert(0, os.path.join(TOP, 't', 'lib'))

NAME_OK = set(b'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
              b'0123456789-_.*')


def esc_bytes(raw, keep):
    out = []
    for b in raw:
        if b in keep:
            out.append(chr(b))
        else:
            out.append('\\%03d' % b)
    return ''.join(out)


def to_bytes(s):
    if isinstance(s, bytes):
        return s
    try:
        return s.encode('latin-1')
    except UnicodeEncodeError:
        return s.encode('utf-8')


def zone_name(name):
    return esc_bytes(to_bytes(name), NAME_OK)


TXT_OK = set(range(0x20, 0x7f)) - {ord('"'), ord('\\')}


def txt_value(val):
    strings = val if isinstance(val, list) else [val]
    if not strings:
        return '""'
    return ' '.join('"%s"' % esc_bytes(to_bytes(s), TXT_OK)
                    for s in strings)


def spf_raw(val):
    strings = val if isinstance(val, list) else [val]
    data = b''
    for s in strings:
        raw = to_bytes(s)
        while True:
            data += bytes([min(len(raw), 255)]) + raw[:255]
            raw = raw[255:]
            if not raw:
                break
    return data.hex() if data else '00'


def has_txt_none(recs):
    return any(isinstance(r, dict) and r.get('TXT') == 'NONE' for r in recs)


def zone_lines(name, recs):
    n = zone_name(name)
    has_txt = any(isinstance(r, dict) and 'TXT' in r for r in recs)
    txt_data = any(isinstance(r, dict) and
                   ('SPF' in r or r.get('TXT', 'NONE') != 'NONE')
                   for r in recs)
    lines = []
    for r in recs:
        if isinstance(r, str):                    # TIMEOUT
            if not txt_data or has_txt_none(recs):
                lines.append('%s %s' % (n, r))
            continue
        (rtype, val), = r.items()
        if rtype == 'TXT':
            if val != 'NONE':
                lines.append('%s TXT %s' % (n, txt_value(val)))
        elif rtype == 'SPF':
            lines.append('%s RAW 99 %s' % (n, spf_raw(val)))
            if not has_txt:
                lines.append('%s TXT %s' % (n, txt_value(val)))
        elif rtype == 'MX':
            host = zone_name(val[1]) if val[1] else '.'
            lines.append('%s MX %d %s' % (n, val[0], host))
        elif rtype in ('PTR', 'CNAME'):
            lines.append('%s %s %s' % (n, rtype, zone_name(val)))
        else:
            lines.append('%s %s %s' % (n, rtype, val))
    return lines


def load_deviations():
    dev = {}
    if not os.path.exists(DEVIATIONS):
        return dev
    with open(DEVIATIONS) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            name, _, why = line.partition(' ')
            dev[name] = why.strip()
    return dev


def run_doc(doc, TestDNS):
    zone = []
    for name, recs in (doc.get('zonedata') or {}).items():
        zone.extend(zone_lines(name, recs))
    dns = TestDNS('\n'.join(zone) + '\n')
    port = dns.start()
    try:
        cases = list(doc['tests'].items())
        lines = ''.join('%s\t%s\t%s\n' % (t['host'], t.get('helo', ''),
                                          t.get('mailfrom', ''))
                        for _, t in cases)
        p = subprocess.run([DRIVER, '-t', '1500', '-n',
                            '127.0.0.1@%d' % port, '-b'],
                           input=lines.encode('latin-1', 'replace'),
                           stdout=subprocess.PIPE, timeout=300)
        out = p.stdout.decode('latin-1').splitlines()
    finally:
        dns.stop()
    return [(name, t, out[i] if i < len(out) else 'crash - - -')
            for i, (name, t) in enumerate(cases)]


def main():
    if not os.path.exists(SUITE):
        print('1..0 # SKIP conformance suite not found at %s' % SUITE)
        return 0
    import yaml
    from testdns import TestDNS
    if not os.access(DRIVER, os.X_OK):
        print('1..0 # SKIP %s not built (make t/tools/spfcheck)' % DRIVER)
        return 0
    with open(SUITE, 'rb') as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    dev = load_deviations()
    start = time.time()
    results = []
    for doc in docs:
        results.extend(run_doc(doc, TestDNS))
    print('1..%d' % len(results))
    failed = passed = 0
    seen = set()
    for i, (name, t, line) in enumerate(results, 1):
        seen.add(name)
        exp = t['result']
        exp = [e.lower() for e in (exp if isinstance(exp, list) else [exp])]
        got = line.split(' ', 1)[0]
        ok = got in exp
        desc = '%s: got %s, expected %s' % (name, got, '/'.join(exp))
        if ok:
            passed += 1
            print('ok %d - %s' % (i, desc))
            if name in dev:
                print('# listed deviation %s passes now; remove it' % name)
        elif got == 'pass':
            failed += 1
            print('not ok %d - %s (false pass)' % (i, desc))
            print('#   %s' % line)
        elif name in dev:
            print('ok %d - %s # TODO %s' % (i, desc, dev[name]))
        else:
            failed += 1
            print('not ok %d - %s' % (i, desc))
            print('#   %s' % line)
    for name in sorted(set(dev) - seen):
        print('# deviation %s names no test case' % name)
    print('# %d of %d cases conform, %d unlisted failures, %.1fs'
          % (passed, len(results), failed, time.time() - start))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
