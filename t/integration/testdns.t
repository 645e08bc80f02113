#!/usr/bin/python3
"""Tests of the test DNS server itself (t/lib/testdns.py): zone syntax,
answers over UDP and TCP, truncation, wildcards, pseudo-types, the CLI
(port file, SIGHUP reload, SIGTERM) and, when built, t/tools/dnsq."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
from testdns import (TestDNS, ZoneError, parse_zone, quote_txt,  # noqa: E402
                     escape_name)
from dnslib import DNSRecord, QTYPE, RCODE  # noqa: E402

SCRIPT = os.path.join(HERE, '..', 'lib', 'testdns.py')
DNSQ = os.path.join(HERE, '..', 'tools', 'dnsq')
n = 0
failed = 0


def ok(cond, name):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print('%sok %d - %s' % ('' if cond else 'not ', n, name))
    return cond


def is_(got, want, name):
    if not ok(got == want, name):
        print('#   got %r, want %r' % (got, want))


ZONE = r'''
# comment line
a.example.com A 192.0.2.1   # trailing comment
a.example.com AAAA 2001:db8::1
a.example.com MX 10 mx.example.com
A.Example.Com ttl=300 TXT "v=spf1 " "-all"
esc.example.com TXT "a\"b\\c" "\065\000z"
long.example.com TXT "%s"
words.example.com TXT hello world
empty.example.com TXT ""
deep.ent.example.com A 192.0.2.2
*.w.example.com TXT "wild"
sub.w.example.com A 192.0.2.5
c.example.com CNAME a.example.com
p.example.com PTR host.example.com
n.example.com NS ns1.example.com
raw.example.com RAW TXT 05616263
under_score.example.com A 192.0.2.7
to.example.com TIMEOUT
sf.example.com SERVFAIL
rf.example.com REFUSED
slow.example.com DELAY 300
slow.example.com A 192.0.2.3
''' % ('x' * 600)


def ask(port, name, qtype, tcp=False, timeout=2):
    q = DNSRecord.question(name, qtype)
    return DNSRecord.parse(q.send('127.0.0.1', port, tcp=tcp,
                                  timeout=timeout))


def txt_strings(rr):
    """Character-strings of a TXT RR, from its wire RDATA."""
    data = rr.rdata.data if hasattr(rr.rdata, 'data') else None
    return [bytes(s) for s in data] if data is not None else None


def test_module():
    d = TestDNS(ZONE)
    port = d.start()
    ok(port > 0, 'module: started on port %d' % port)
    r = ask(port, 'a.example.com', 'A')
    is_((r.header.rcode, r.header.aa, [str(x.rdata) for x in r.rr]),
        (RCODE.NOERROR, 1, ['192.0.2.1']), 'A answer, authoritative')
    is_(r.rr[0].ttl, 1, 'default TTL 1')
    r = ask(port, 'A.EXAMPLE.COM', 'MX')
    is_([str(x.rdata) for x in r.rr], ['10 mx.example.com.'],
        'MX, case-insensitive name')
    is_(str(r.rr[0].rname), 'A.EXAMPLE.COM.', 'owner echoes query case')
    r = ask(port, 'a.example.com', 'TXT')
    is_(txt_strings(r.rr[0]), [b'v=spf1 ', b'-all'], 'TXT strings kept')
    is_(r.rr[0].ttl, 300, 'ttl=300')
    r = ask(port, 'esc.example.com', 'TXT')
    is_(txt_strings(r.rr[0]), [b'a"b\\c', b'A\x00z'], 'TXT escapes')
    r = ask(port, 'words.example.com', 'TXT')
    is_(txt_strings(r.rr[0]), [b'hello', b'world'], 'unquoted TXT words')
    r = ask(port, 'empty.example.com', 'TXT')
    is_(txt_strings(r.rr[0]), [b''], 'empty TXT string')
    r = ask(port, 'long.example.com', 'TXT')
    is_((r.header.tc, len(r.rr)), (1, 0), '>512 over UDP: TC, no answer')
    r = ask(port, 'long.example.com', 'TXT', tcp=True)
    is_([len(s) for s in txt_strings(r.rr[0])], [255, 255, 90],
        'over TCP: 600-byte string split into 255-byte strings')
    is_(ask(port, 'ent.example.com', 'A').header.rcode, RCODE.NOERROR,
        'empty non-terminal: NOERROR')
    is_(len(ask(port, 'ent.example.com', 'A').rr), 0, 'ENT: no data')
    is_(ask(port, 'nx.example.com', 'A').header.rcode, RCODE.NXDOMAIN,
        'unknown name: NXDOMAIN')
    is_(ask(port, 'a.example.com', 'PTR').header.rcode, RCODE.NOERROR,
        'known name, other type: NODATA')
    r = ask(port, 'foo.w.example.com', 'TXT')
    is_((str(r.rr[0].rname), txt_strings(r.rr[0])),
        ('foo.w.example.com.', [b'wild']), 'wildcard, owner is qname')
    is_(ask(port, 'foo.w.example.com', 'A').header.rcode, RCODE.NOERROR,
        'wildcard other type: NODATA')
    is_(ask(port, 'x.sub.w.example.com', 'TXT').header.rcode,
        RCODE.NXDOMAIN, 'no wildcard below an existing name')
    is_(len(ask(port, 'sub.w.example.com', 'TXT').rr), 0,
        'existing name is not covered by the wildcard')
    r = ask(port, 'c.example.com', 'A')
    is_([(x.rtype, str(x.rdata)) for x in r.rr],
        [(QTYPE.CNAME, 'a.example.com.')], 'CNAME returned alone')
    is_(str(ask(port, 'p.example.com', 'PTR').rr[0].rdata),
        'host.example.com.', 'PTR')
    is_(str(ask(port, 'n.example.com', 'NS').rr[0].rdata),
        'ns1.example.com.', 'NS')
    is_(str(ask(port, 'under_score.example.com', 'A').rr[0].rdata),
        '192.0.2.7', 'name with underscore')
    is_(ask(port, 'sf.example.com', 'A').header.rcode, RCODE.SERVFAIL,
        'SERVFAIL pseudo-type')
    is_(ask(port, 'rf.example.com', 'TXT').header.rcode, RCODE.REFUSED,
        'REFUSED pseudo-type')
    try:
        ask(port, 'to.example.com', 'A', timeout=0.5)
        ok(False, 'TIMEOUT pseudo-type: no answer over UDP')
    except (socket.timeout, TimeoutError):
        ok(True, 'TIMEOUT pseudo-type: no answer over UDP')
    try:
        ask(port, 'to.example.com', 'A', tcp=True, timeout=0.5)
        ok(False, 'TIMEOUT pseudo-type: no answer over TCP')
    except (socket.timeout, TimeoutError, OSError):
        ok(True, 'TIMEOUT pseudo-type: no answer over TCP')
    t0 = time.monotonic()
    r = ask(port, 'slow.example.com', 'A')
    el = time.monotonic() - t0
    ok(0.28 < el < 1.0 and len(r.rr) == 1, 'DELAY 300 ms (%.2f s)' % el)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.sendto(b'\x12\x34\x01', ('127.0.0.1', port))
    try:
        reply = s.recv(512)
        is_((reply[:2], reply[3] & 15), (b'\x12\x34', RCODE.FORMERR),
            'garbage query: FORMERR')
    except socket.timeout:
        ok(False, 'garbage query: FORMERR')
    s.close()
    d.set_zone('a.example.com A 192.0.2.99')
    is_(str(ask(port, 'a.example.com', 'A').rr[0].rdata), '192.0.2.99',
        'set_zone replaces the zone')
    ok(('a.example.com.', 'A', 'udp') in d.queries, 'query log')
    t0 = time.monotonic()
    d.stop()
    ok(time.monotonic() - t0 < 2, 'stop() is quick')
    try:
        ask(port, 'a.example.com', 'A', timeout=0.3)
        ok(False, 'no answer after stop()')
    except (socket.timeout, TimeoutError, OSError):
        ok(True, 'no answer after stop()')


def test_zone_errors():
    bad = ['a.example.com', 'a.example.com BOGUS x', 'a.example.com A 1.2.3',
           'a.example.com AAAA zz::', 'a.example.com MX mx.example.com',
           'a.example.com TXT "unterminated', 'a..example.com A 192.0.2.1',
           '%s.example.com A 192.0.2.1' % ('a' * 64),
           'a.example.com DELAY soon', 'a.example.com TIMEOUT 5',
           'a.example.com RAW TXT 0g', 'a.example.com TXT "\\999"']
    for text in bad:
        try:
            parse_zone('# first\n' + text)
            ok(False, 'zone error: %s' % text)
        except ZoneError as e:
            ok('line 2' in str(e), 'zone error: %s (%s)' % (text, e))


def test_helpers():
    odd = bytes(range(256))
    zone = '%s TXT %s %s\n%s SPF "v=spf1 -all"\n' % (
        escape_name('odd#.example.com'), quote_txt(odd[:200]),
        quote_txt(odd[200:]), escape_name(b'\xc3\xa9t\xc3\xa9.example.com'))
    with TestDNS(zone) as d:
        r = ask(d.port, 'odd#.example.com', 'TXT', tcp=True)
        is_(txt_strings(r.rr[0]) if r.rr else None, [odd[:200], odd[200:]],
            'quote_txt: all 256 byte values round-trip')
        q = DNSRecord.question('x', 'SPF')
        q.q.qname.label = (b'\xc3\xa9t\xc3\xa9', b'example', b'com')
        r = DNSRecord.parse(q.send('127.0.0.1', d.port, timeout=2))
        is_([(x.rtype, bytes(x.rdata.data)) for x in r.rr],
            [(QTYPE.SPF, b'\x0bv=spf1 -all')], 'SPF type, 8-bit owner name')


def wait_file(path, secs=10):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if os.path.exists(path) and open(path).read().strip():
            return open(path).read().strip()
        time.sleep(0.05)
    return None


def test_cli(tmp):
    zone = os.path.join(tmp, 'zone')
    portf = os.path.join(tmp, 'port')
    pidf = os.path.join(tmp, 'pid')
    with open(zone, 'w') as f:
        f.write('cli.example.com TXT "one"\n')
    p = subprocess.Popen(['/usr/bin/python3', SCRIPT, '--zone', zone,
                          '--port', '0', '--port-file', portf,
                          '--pid-file', pidf])
    port = wait_file(portf)
    if not ok(port is not None, 'CLI: port file written'):
        p.kill()
        return None
    port = int(port)
    is_(int(wait_file(pidf)), p.pid, 'CLI: pid file')
    is_(txt_strings(ask(port, 'cli.example.com', 'TXT').rr[0]), [b'one'],
        'CLI: answers')
    with open(zone, 'w') as f:
        f.write('cli.example.com TXT "two"\n')
    p.send_signal(signal.SIGHUP)
    got = None
    for _ in range(40):
        time.sleep(0.05)
        got = txt_strings(ask(port, 'cli.example.com', 'TXT').rr[0])
        if got == [b'two']:
            break
    is_(got, [b'two'], 'CLI: SIGHUP reloads the zone')
    with open(zone, 'w') as f:
        f.write('cli.example.com BOGUS\n')
    p.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    is_(txt_strings(ask(port, 'cli.example.com', 'TXT').rr[0]), [b'two'],
        'CLI: bad zone on reload keeps the old one')
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    is_(rc, 0, 'CLI: SIGTERM exits 0')
    ok(not os.path.exists(portf) and not os.path.exists(pidf),
       'CLI: port and pid files removed')
    rc = subprocess.call(['/usr/bin/python3', SCRIPT, '--zone', zone],
                         stderr=subprocess.DEVNULL)
    is_(rc, 2, 'CLI: bad zone exits 2')
    return True


def dnsq(port, *args):
    p = subprocess.run([DNSQ, '-n', '127.0.0.1@%d' % port, '-t', '500']
                       + list(args), capture_output=True, text=True)
    return p.returncode, p.stdout


def test_dnsq():
    if not os.access(DNSQ, os.X_OK):
        print('ok %d # skip t/tools/dnsq not built' % (n + 1))
        return
    with TestDNS(ZONE) as d:
        is_(dnsq(d.port, 'TXT', 'esc.example.com'),
            (0, 'status: ok\nrr: "a\\034b\\092cA\\000z"\n'), 'dnsq TXT')
        is_(dnsq(d.port, 'MX', 'a.example.com'),
            (0, 'status: ok\nrr: 10 mx.example.com.\n'), 'dnsq MX')
        is_(dnsq(d.port, 'A', 'nx.example.com'),
            (0, 'status: nxdomain\n'), 'dnsq NXDOMAIN')
        is_(dnsq(d.port, 'A', 'to.example.com'),
            (1, 'status: tempfail\nreason: timeout\n'), 'dnsq timeout')
        is_(dnsq(d.port, 'EXISTS', 'ent.example.com'),
            (0, 'status: ok\n'), 'dnsq EXISTS')


def main():
    test_module()
    test_zone_errors()
    test_helpers()
    with tempfile.TemporaryDirectory() as tmp:
        test_cli(tmp)
    test_dnsq()
    global n
    print('1..%d' % n)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
