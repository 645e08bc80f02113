#!/usr/bin/python3
"""testdns - a small authoritative DNS server for dmarcwarden's tests.

SYNOPSIS
    sys.path.insert(0, 't/lib'); from testdns import TestDNS
    d = TestDNS(zone_text); port = d.start(); ... d.set_zone(text) ...
    d.stop()            (or: with TestDNS(zone_text) as d: port = d.port)

    /usr/bin/python3 t/lib/testdns.py --zone FILE [--port 0]
        [--port-file F] [--pid-file P] [--host 127.0.0.1]
    (SIGHUP re-reads the zone file, SIGTERM/SIGINT stop the server)

DESCRIPTION
    Answers on loopback UDP and TCP (same port) from a zone given as text,
    one record per line, '#' starts a comment:

        NAME [ttl=N] TYPE VALUE...

    NAME is fully qualified, without trailing dot, case-insensitive; it may
    use the escapes \\. \\\\ and \\DDD for odd bytes, and '*' as its first
    label for a wildcard.  TYPE is one of
        A ADDR | AAAA ADDR | MX PREF HOST | PTR HOST | CNAME HOST | NS HOST
        TXT "str" "str"...   one record per line; each quoted string is one
                             character-string (escapes \\" \\\\ \\DDD);
                             strings longer than 255 bytes are split;
                             unquoted words are taken as strings too
        SPF "str"...         type 99, same syntax as TXT
        RAW TYPE HEX         a record of TYPE (name or number) with this
                             exact RDATA (for malformed-data tests)
    and pseudo-types applying to every query for that name:
        TIMEOUT (never answer), SERVFAIL, REFUSED, DELAY MS (answer late;
    note that unbound retransmits after about 376 ms to a server it has no
    RTT for and ignores the late answer to the first copy, so delays above
    that cost the client more than MS).

    quote_txt(bytes or str) and escape_name(bytes or str) turn arbitrary
    data into zone-text tokens, for generating zones from test suites.

    A name with records answers them (NODATA when it has none of the type;
    a CNAME is returned alone, the resolver follows it); a name with only
    descendants is an empty non-terminal (NODATA); other names are matched
    against the wildcard of their closest encloser, else NXDOMAIN.  All
    answers are authoritative, TTL 1 unless ttl=N; negative answers carry
    a root SOA with TTL and minimum neg_ttl (default 1), so they too are
    cached for 1 s unless the caller asks for longer.  UDP answers longer
    than 512 bytes are truncated (TC) so that the client retries over TCP.

    Zone errors raise ZoneError (module) or exit 2 (CLI) naming the line.
    queries is a list of (name, type, "udp"|"tcp") of recent queries.
"""

import argparse
import binascii
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time

from dnslib import (AAAA, CNAME, MX, NS, PTR, QTYPE, RCODE, RD, RR, SOA, A,
                    DNSHeader, DNSLabel, DNSRecord)

UDP_MAX = 512
MAX_QUERY_LOG = 1000
PSEUDO = ('TIMEOUT', 'SERVFAIL', 'REFUSED', 'DELAY')


# Negative answers carry this SOA so that resolvers cache them for one
# second only (without one, unbound keeps NXDOMAIN for five).
def neg_soa(ttl):
    return RR('.', QTYPE.SOA, ttl=ttl, rdata=SOA('ns.testdns.invalid',
                                                 'hostmaster.testdns.invalid',
                                                 (1, 3600, 600, 86400, ttl)))


NEG_SOA = neg_soa(1)


class ZoneError(ValueError):
    pass


class Node:
    def __init__(self):
        self.records = []       # (rtype, ttl, rdata object)
        self.pseudo = set()     # TIMEOUT, SERVFAIL, REFUSED
        self.delay_ms = 0


def _unescape(text, what):
    """Decode \\X and \\DDD escapes of a zone token into bytes."""
    raw = text.encode('utf-8', 'surrogateescape')
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c != 0x5c:
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(raw):
            raise ZoneError('trailing backslash in %s' % what)
        if raw[i + 1:i + 4].isdigit() and len(raw[i + 1:i + 4]) == 3:
            v = int(raw[i + 1:i + 4])
            if v > 255:
                raise ZoneError('bad \\DDD escape in %s' % what)
            out.append(v)
            i += 4
        else:
            out.append(raw[i + 1])
            i += 2
    return bytes(out)


def _escape(data, special):
    if isinstance(data, str):
        data = data.encode('utf-8', 'surrogateescape')
    out = []
    for b in data:
        if b < 0x21 or b > 0x7e or chr(b) in special:
            out.append('\\%03d' % b)
        else:
            out.append(chr(b))
    return ''.join(out)


def quote_txt(data):
    """One character-string as a quoted zone token (any bytes)."""
    return '"%s"' % _escape(data, '"\\#').replace('\\032', ' ')


def escape_name(name):
    """A domain name (labels separated by '.') as a zone token; bytes
    other than printable ASCII are escaped."""
    return _escape(name, '\\#"')


def parse_name(text):
    """Zone name text -> tuple of lower-cased label bytes."""
    if text.endswith('.') and not text.endswith('\\.'):
        text = text[:-1]
    if text in ('', '.'):
        return ()
    labels, cur, i = [], '', 0
    while i < len(text):
        ch = text[i]
        if ch == '\\' and i + 1 < len(text):
            n = 4 if text[i + 1:i + 4].isdigit() else 2
            cur += text[i:i + n]
            i += n
            continue
        if ch == '.':
            labels.append(cur)
            cur = ''
        else:
            cur += ch
        i += 1
    labels.append(cur)
    out = []
    for lab in labels:
        b = _unescape(lab, 'name %r' % text)
        if not b or len(b) > 63:
            raise ZoneError('bad label in name %r' % text)
        out.append(b.lower())
    if sum(len(b) + 1 for b in out) + 1 > 255:
        raise ZoneError('name too long: %r' % text)
    return tuple(out)


def _tokenize(line):
    """Split a zone line into (token, quoted) pairs; '#' outside quotes
    starts a comment."""
    toks, i, n = [], 0, len(line)
    while i < n:
        ch = line[i]
        if ch.isspace():
            i += 1
        elif ch == '#':
            break
        elif ch == '"':
            j, buf = i + 1, ''
            while j < n and line[j] != '"':
                if line[j] == '\\' and j + 1 < n:
                    buf += line[j:j + 2]
                    j += 2
                else:
                    buf += line[j]
                    j += 1
            if j >= n:
                raise ZoneError('unterminated string')
            toks.append((buf, True))
            i = j + 1
        else:
            j = i
            while j < n and not line[j].isspace() and line[j] != '"':
                j += 1
            toks.append((line[i:j], False))
            i = j
    return toks


def _txt_rdata(args):
    out = bytearray()
    strings = [_unescape(t, 'TXT string') for t, _ in args] or [b'']
    for s in strings:
        chunks = [s[k:k + 255] for k in range(0, len(s), 255)] or [b'']
        for c in chunks:
            out.append(len(c))
            out += c
    if len(out) > 65535:
        raise ZoneError('TXT record too long')
    return RD(bytes(out))


def _host(args, rtype):
    if len(args) != 1:
        raise ZoneError('%s needs one host name' % rtype)
    return DNSLabel(parse_name(args[0][0]))


def _rdata(rtype, args):
    """Build (numeric type, rdata) for one zone line."""
    words = [t for t, _ in args]
    if rtype in ('A', 'AAAA'):
        fam = socket.AF_INET if rtype == 'A' else socket.AF_INET6
        if len(words) != 1:
            raise ZoneError('%s needs one address' % rtype)
        try:
            socket.inet_pton(fam, words[0])
        except OSError:
            raise ZoneError('bad %s address %r' % (rtype, words[0]))
        return (QTYPE.A, A(words[0])) if rtype == 'A' else \
            (QTYPE.AAAA, AAAA(words[0]))
    if rtype == 'MX':
        if len(words) != 2 or not words[0].isdigit() or \
                int(words[0]) > 65535:
            raise ZoneError('MX needs PREF HOST')
        return QTYPE.MX, MX(DNSLabel(parse_name(words[1])), int(words[0]))
    if rtype in ('PTR', 'CNAME', 'NS'):
        cls = {'PTR': PTR, 'CNAME': CNAME, 'NS': NS}[rtype]
        return getattr(QTYPE, rtype), cls(_host(args, rtype))
    if rtype in ('TXT', 'SPF'):
        return getattr(QTYPE, rtype), _txt_rdata(args)
    if rtype == 'RAW':
        if len(words) not in (1, 2):
            raise ZoneError('RAW needs TYPE [HEX]')
        t = int(words[0]) if words[0].isdigit() else \
            getattr(QTYPE, words[0].upper(), None)
        if t is None or t > 65535:
            raise ZoneError('RAW: unknown type %r' % words[0])
        try:
            data = binascii.unhexlify(words[1]) if len(words) == 2 else b''
        except (binascii.Error, ValueError):
            raise ZoneError('RAW: bad hex')
        return t, RD(data)
    raise ZoneError('unknown type %r' % rtype)


def parse_zone(text):
    """Zone text -> (nodes, empty non-terminals)."""
    nodes = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        try:
            toks = _tokenize(line)
            if not toks:
                continue
            if len(toks) < 2 or toks[0][1]:
                raise ZoneError('need NAME TYPE')
            name = parse_name(toks[0][0])
            rest = toks[1:]
            ttl = 1
            if rest[0][0].lower().startswith('ttl=') and not rest[0][1]:
                try:
                    ttl = int(rest[0][0][4:])
                except ValueError:
                    raise ZoneError('bad ttl')
                rest = rest[1:]
            if not rest:
                raise ZoneError('need TYPE')
            rtype, args = rest[0][0].upper(), rest[1:]
            node = nodes.setdefault(name, Node())
            if rtype in PSEUDO:
                if rtype == 'DELAY':
                    if len(args) != 1 or not args[0][0].isdigit():
                        raise ZoneError('DELAY needs milliseconds')
                    node.delay_ms = int(args[0][0])
                elif args:
                    raise ZoneError('%s takes no value' % rtype)
                else:
                    node.pseudo.add(rtype)
                continue
            t, rd = _rdata(rtype, args)
            node.records.append((t, ttl, rd))
        except ZoneError as e:
            raise ZoneError('zone line %d: %s' % (lineno, e))
    ents = set()
    for name in nodes:
        for i in range(1, len(name)):
            ents.add(name[i:])
    return nodes, ents


class Zone:
    def __init__(self, text):
        self.nodes, self.ents = parse_zone(text)

    def find(self, key):
        """-> (node or None, exists)"""
        if key in self.nodes:
            return self.nodes[key], True
        if key in self.ents:
            return None, True
        for i in range(1, len(key) + 1):
            anc = key[i:]
            if anc in self.nodes or anc in self.ents or not anc:
                wild = (b'*',) + anc
                if wild in self.nodes:
                    return self.nodes[wild], True
                return None, False
        return None, False


class TestDNS:
    def __init__(self, zone_text='', port=0, host='127.0.0.1', neg_ttl=1):
        self.zone = Zone(zone_text)
        self.neg_soa = NEG_SOA if neg_ttl == 1 else neg_soa(neg_ttl)
        self.host = host
        self.want_port = port
        self.port = None
        self.queries = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._servers = []
        self._threads = []

    def set_zone(self, zone_text):
        """Replace the zone (parse errors raise and keep the old one)."""
        self.zone = Zone(zone_text)

    def _log(self, name, qtype, proto):
        with self._lock:
            self.queries.append((name, qtype, proto))
            del self.queries[:-MAX_QUERY_LOG]

    def answer(self, data, proto):
        """Query bytes -> (reply bytes or None, delay seconds)."""
        try:
            req = DNSRecord.parse(data)
        except Exception:
            if len(data) < 2:
                return None, 0
            h = DNSHeader(id=struct.unpack('!H', data[:2])[0], qr=1,
                          rcode=RCODE.FORMERR)
            return DNSRecord(h).pack(), 0
        hdr = DNSHeader(id=req.header.id, qr=1, aa=1, rd=req.header.rd,
                        opcode=req.header.opcode)
        reply = DNSRecord(hdr, q=req.q) if req.questions else DNSRecord(hdr)
        if req.header.opcode != 0 or len(req.questions) != 1:
            reply.header.rcode = RCODE.NOTIMP if req.header.opcode \
                else RCODE.FORMERR
            return reply.pack(), 0
        q = req.q
        key = tuple(lab.lower() for lab in q.qname.label)
        self._log(str(q.qname), QTYPE.get(q.qtype), proto)
        node, exists = self.zone.find(key)
        delay = node.delay_ms / 1000.0 if node else 0
        if node and 'TIMEOUT' in node.pseudo:
            return None, delay
        if node and 'SERVFAIL' in node.pseudo:
            reply.header.rcode = RCODE.SERVFAIL
        elif node and 'REFUSED' in node.pseudo:
            reply.header.rcode = RCODE.REFUSED
        elif not exists:
            reply.header.rcode = RCODE.NXDOMAIN
        elif node:
            self._fill(reply, q, node)
        if reply.header.rcode in (RCODE.NOERROR, RCODE.NXDOMAIN) and \
                not reply.rr:
            reply.add_auth(self.neg_soa)
        out = reply.pack()
        if proto == 'udp' and len(out) > UDP_MAX:
            hdr.tc = 1
            out = DNSRecord(hdr, q=req.q).pack()
        return out, delay

    @staticmethod
    def _fill(reply, q, node):
        cname = [r for r in node.records if r[0] == QTYPE.CNAME]
        if cname and q.qtype != QTYPE.CNAME:
            recs = cname[:1]
        else:
            recs = [r for r in node.records
                    if r[0] == q.qtype or q.qtype == QTYPE.ANY]
        for t, ttl, rd in recs:
            reply.add_answer(RR(q.qname, t, ttl=ttl, rdata=rd))

    # --- servers -------------------------------------------------------

    def start(self):
        """Bind UDP and TCP on the same port, serve in threads; -> port."""
        last = None
        for _ in range(50):
            udp = tcp = None
            try:
                udp = _UDPServer((self.host, self.want_port), _UDPHandler)
                port = udp.server_address[1]
                tcp = _TCPServer((self.host, port), _TCPHandler)
            except OSError as e:
                last = e
                if udp:
                    udp.server_close()
                if self.want_port:
                    raise
                continue
            break
        else:
            raise last
        for s in (udp, tcp):
            s.dns = self
            t = threading.Thread(target=s.serve_forever,
                                 kwargs={'poll_interval': 0.1}, daemon=True)
            t.start()
            self._servers.append(s)
            self._threads.append(t)
        self.port = port
        return port

    def stop(self):
        self._stopping.set()
        for s in self._servers:
            s.shutdown()
            s.server_close()
        for t in self._threads:
            t.join(5)
        self._servers, self._threads = [], []

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


class _UDPServer(socketserver.ThreadingUDPServer):
    daemon_threads = True
    allow_reuse_address = False


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False


class _UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        dns = self.server.dns
        data, sock = self.request
        out, delay = dns.answer(data, 'udp')
        if delay and dns._stopping.wait(delay):
            return
        if out is not None:
            try:
                sock.sendto(out, self.client_address)
            except OSError:
                pass


class _TCPHandler(socketserver.BaseRequestHandler):
    def _recv(self, n):
        buf = b''
        while len(buf) < n:
            try:
                chunk = self.request.recv(n - len(buf))
            except socket.timeout:
                if self.server.dns._stopping.is_set():
                    return None
                continue
            except OSError:
                return None
            if not chunk:
                return None
            buf += chunk
        return buf

    def handle(self):
        dns = self.server.dns
        self.request.settimeout(0.2)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not dns._stopping.is_set():
            hdr = self._recv(2)
            if hdr is None:
                return
            data = self._recv(struct.unpack('!H', hdr)[0])
            if data is None:
                return
            out, delay = dns.answer(data, 'tcp')
            if delay and dns._stopping.wait(delay):
                return
            if out is None:
                continue        # TIMEOUT: keep the connection silent
            try:
                self.request.sendall(struct.pack('!H', len(out)) + out)
            except OSError:
                return


def _write_atomic(path, text):
    tmp = '%s.%d.tmp' % (path, os.getpid())
    with open(tmp, 'w') as f:
        f.write(text)
    os.rename(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description='test DNS server')
    ap.add_argument('--zone', required=True)
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port-file')
    ap.add_argument('--pid-file')
    args = ap.parse_args(argv)

    def read_zone():
        with open(args.zone, encoding='utf-8', errors='surrogateescape') as f:
            return f.read()
    try:
        dns = TestDNS(read_zone(), args.port, args.host)
    except (OSError, ZoneError) as e:
        print('testdns: %s' % e, file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_hup(signum, frame):
        try:
            dns.set_zone(read_zone())
        except (OSError, ZoneError) as e:
            print('testdns: reload failed: %s' % e, file=sys.stderr)
    signal.signal(signal.SIGHUP, on_hup)
    signal.signal(signal.SIGTERM, lambda s, f: stop.set())
    signal.signal(signal.SIGINT, lambda s, f: stop.set())
    port = dns.start()
    if args.pid_file:
        _write_atomic(args.pid_file, '%d\n' % os.getpid())
    if args.port_file:
        _write_atomic(args.port_file, '%d\n' % port)
    while not stop.wait(0.5):
        pass
    dns.stop()
    for p in (args.port_file, args.pid_file):
        if p:
            try:
                os.unlink(p)
            except OSError:
                pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
