#!/usr/bin/python3
# contrib/milterload/milterload, the C milter load client: counts and the
# action tally against t/tools/echomilter, header passing along a chain of
# two milters, negotiated options (skipped events, no-reply flags,
# HDR_LEADSPC), the same packets as t/lib/milterclient.py (checked against
# real Postfix), a run against the real daemon with its test DNS, and
# corpus, socket and protocol errors.
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "t", "lib"))

import tap  # noqa: E402
import harness  # noqa: E402
import milterclient as mc  # noqa: E402

LOAD = os.path.join(ROOT, "contrib", "milterload", "milterload")
ECHO = os.path.join(ROOT, "t", "tools", "echomilter")
OUT = harness.outdir("milterload")
procs = []


def cleanup():
    for proc in procs:
        harness.stop_process(proc, grace=0.3)


harness.at_cleanup(cleanup)


def write_msg(cdir, name, raw, env):
    with open(os.path.join(cdir, name + ".eml"), "wb") as fp:
        fp.write(raw)
    with open(os.path.join(cdir, name + ".env"), "w") as fp:
        fp.write(env)


def corpus(name, messages):
    cdir = os.path.join(OUT, name)
    os.makedirs(cdir, exist_ok=True)
    for n, raw, env in messages:
        write_msg(cdir, n, raw, env)
    return cdir


def load(*args, timeout=60):
    proc = subprocess.run([LOAD] + [str(a) for a in args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def tally(stdout):
    m = re.search(r"^actions (.*)$", stdout, re.M)
    if not m:
        return {}
    w = m.group(1).split()
    return {k: int(v) for k, v in zip(w[0::2], w[1::2])}


def results(path):
    """{name: (action, reply, [edit lines])}"""
    res, cur = {}, None
    with open(path) as fp:
        for line in fp:
            line = line.rstrip("\n")
            if line.startswith("\t"):
                res[cur][2].append(line[1:])
            else:
                f = line.split("\t")
                cur = f[0]
                res[cur] = (f[1], f[4], [])
    return res


class Echo(object):
    def __init__(self, name, *args):
        self.sock = os.path.join(OUT, name + ".sock")
        self.log = os.path.join(OUT, name + ".log")
        self.spec = "unix:" + self.sock
        for path in (self.sock, self.log):
            if os.path.exists(path):
                os.unlink(path)
        self.proc = subprocess.Popen([ECHO, "-p", self.spec, "-l", self.log]
                                     + list(args))
        procs.append(self.proc)
        harness.wait_for_socket(self.sock, 5, self.proc)
        open(self.log, "a").close()

    def text(self):
        with open(self.log, encoding="utf-8", errors="replace") as fp:
            return fp.read()

    def reset(self):
        open(self.log, "w").close()


ENV = "client 192.0.2.7 mail.sender.example\nmail <a@sender.example>\n" \
      "rcpt <bob@test.local>\n"


def msg(subject, extra=b"", body=b"Hello.\r\n"):
    return (b"From: Alice <a@sender.example>\r\nTo: bob@test.local\r\n"
            b"Subject: " + subject + b"\r\n" + extra + b"\r\n" + body)


def test_echo_counts():
    cdir = corpus("echo", [
        ("a-plain", msg(b"hello", b"X-Delete-Me: yes\r\nX-Fold: one\r\n"
                        b"\ttwo\r\n"), ENV),
        ("b-reject", msg(b"reject"), ENV.replace("192.0.2.7", "2001:db8::7")),
        ("c-hold", msg(b"hold"), ENV),
        ("d-temp", msg(b"temp"), ENV),
        ("e-discard", msg(b"discard"), ENV),
        # LF line ends, no final newline, 70000-byte body: 2 chunks.
        ("f-lf", b"From: x@sender.example\nSubject: lf\n\n" +
         b"x" * 69998 + b"\nend", "# comment\nclient 192.0.2.9\n"
         "mail <>\nrcpt bob@test.local\nrcpt <carol@test.local>\n"),
    ])
    e = Echo("echo1")
    res = os.path.join(OUT, "echo.results")
    rc, out, err = load("-c", 3, "-n", 12, "-o", res, cdir, e.spec)
    tap.is_(rc, 0, "echomilter: exit 0 (%s)" % err.strip()[:200])
    tap.like(out, r"(?m)^messages 12 elapsed [\d.]+ concurrency 3 milters 1$",
             "12 messages, concurrency 3, 1 milter")
    tap.like(out, r"(?m)^throughput [\d.]+ msgs/s$", "throughput line")
    tap.like(out, r"(?m)^latency_ms p50 [\d.]+ p90 [\d.]+ p99 [\d.]+ "
             r"max [\d.]+$",
             "latency percentiles line")
    tap.is_(tally(out), {"accept": 4, "hold": 2, "reject": 2, "tempfail": 2,
                         "discard": 2, "error": 0},
            "action tally over two passes of the corpus")
    r = results(res)
    tap.is_(sorted(r), ["a-plain", "b-reject", "c-hold", "d-temp",
                        "e-discard", "f-lf"], "results name every message")
    tap.is_(r["b-reject"][1], "550 5.7.1 rejected by echomilter",
            "the milter's reply text is kept")
    tap.ok("1\tadd\t0\tX-Echo\theaders=5 body=8 chunks=1" in r["a-plain"][2],
           "X-Echo counts the folded header once and 8 body bytes: %r"
           % (r["a-plain"][2],))
    tap.ok("1\tchange\t1\tX-Delete-Me\t" in r["a-plain"][2],
           "header deletion recorded")
    tap.ok("1\tadd\t0\tX-Echo\theaders=2 body=70005 chunks=2" in
           r["f-lf"][2], "LF message: CRLF body of 70005 bytes in two "
           "chunks: %r" % (r["f-lf"][2],))
    log = e.text()
    tap.like(log, r"connect host=mail\.sender\.example family=inet "
             r"j=mx\.test\.local daemon_name=mx\.test\.local "
             r"_=mail\.sender\.example \[192\.0\.2\.7\]", "connect and macros")
    tap.like(log, r"connect host=\[192\.0\.2\.9\] family=inet .*"
             r"_=unknown \[192\.0\.2\.9\]", "client without a name")
    tap.like(log, r"family=inet6", "IPv6 client")
    tap.like(log, r"helo name=\[192\.0\.2\.9\]", "HELO defaults to [IP]")
    tap.like(log, r"(?m)mail from=<> .*mail_addr=$", "null sender")
    tap.like(log, r"rcpt to=<carol@test\.local> rcpt_addr=carol@test\.local",
             "second recipient and its macro")
    tap.like(log, r"header name=X-Fold value=one\\n\\ttwo",
             "folded header sent with \\n, leading space removed")
    tap.like(log, r"data i=[0-9A-F]{10}\n", "queue id at DATA")


def chain_corpus():
    return corpus("chain", [
        ("a-insert", msg(b"insert", b"X-Delete-Me: 1\r\n"), ENV),
        ("b-reject", msg(b"reject"), ENV),
        ("c-rcpt", msg(b"plain"), ENV.replace(
            "rcpt <bob@test.local>", "rcpt <reject-rcpt@test.local>\n"
            "rcpt <dave@test.local>")),
        ("d-allrcpt", msg(b"plain"), ENV.replace(
            "rcpt <bob@test.local>", "rcpt <reject-rcpt@test.local>")),
    ])


def test_chain():
    cdir = chain_corpus()
    a, b = Echo("chain-a"), Echo("chain-b")
    res = os.path.join(OUT, "chain.results")
    rc, out, err = load("-o", res, cdir, a.spec, b.spec)
    tap.is_(rc, 0, "chain: exit 0 (%s)" % err.strip()[:200])
    tap.is_(tally(out), {"accept": 2, "hold": 0, "reject": 2, "tempfail": 0,
                         "discard": 0, "error": 0}, "chain tally")
    blog = b.text()
    sessions = blog.split("negotiate ")[1:]
    tap.is_(len(sessions), 4, "one connection to B per session")
    first = sessions[0]
    names = re.findall(r"header name=(\S+)", first)
    tap.is_(names, ["X-Inserted", "From", "To", "Subject", "X-Echo"],
            "B gets A's inserted header first, its added header last, and "
            "not the header A deleted")
    tap.like(first, r"header name=X-Echo value=headers=4 body=8 chunks=1\n",
             "added header value passed without the space Postfix adds")
    tap.ok("data" in sessions[1] and "header" not in sessions[1],
           "message rejected by A at end of message: B saw DATA, no "
           "headers")
    tap.like(sessions[2], r"rcpt to=<dave@test\.local>",
             "recipient A accepted reaches B")
    tap.ok("reject-rcpt" not in sessions[2],
           "recipient A rejected is not shown to B")
    tap.ok("mail from" in sessions[3] and "rcpt" not in sessions[3],
           "only recipient rejected by A: B saw MAIL, no RCPT")
    r = results(res)
    tap.is_([e.split("\t")[0:2] for e in r["a-insert"][2]],
            [["1", "add"], ["1", "change"], ["1", "insert"], ["2", "add"],
             ["2", "insert"]], "edits of both milters recorded in order")
    tap.is_(r["d-allrcpt"][0:2], ("reject", "550 5.1.1 no such user here"),
            "every recipient rejected: the message is rejected at RCPT")


def test_options():
    cdir = corpus("opts", [("a", msg(b"hello", b"X-Sp:  two spaces\r\n"),
                            ENV), ("b", msg(b"reject"), ENV)])
    nr = (mc.SMFIP_NR_HDR | mc.SMFIP_NR_BODY | mc.SMFIP_NR_EOH |
          mc.SMFIP_NR_CONN | mc.SMFIP_NR_MAIL | mc.SMFIP_NR_RCPT |
          mc.SMFIP_NR_DATA | mc.SMFIP_NOHELO | mc.SMFIP_HDR_LEADSPC)
    e = Echo("opt-nr", "-f", "%x" % nr)
    res = os.path.join(OUT, "opts.results")
    t0 = time.time()
    rc, out, err = load("-t", 5, "-n", 6, "-o", res, cdir, e.spec)
    tap.is_((rc, tally(out).get("accept"), tally(out).get("reject")),
            (0, 3, 3), "no-reply flags: no hang, milter stays in sync "
            "(%.1fs) %s" % (time.time() - t0, err.strip()[:200]))
    log = e.text()
    tap.ok("helo name" not in log, "SMFIP_NOHELO: no HELO sent")
    tap.like(log, r"header name=X-Sp value=  two spaces\n",
             "SMFIP_HDR_LEADSPC: value sent with its leading space")
    tap.ok("1\tadd\t0\tX-Echo\theaders=4 body=8 chunks=1" in
           results(res)["a"][2], "all headers and body still delivered")
    e = Echo("opt-skip", "-f", "%x" % (mc.SMFIP_NOHDRS | mc.SMFIP_NOBODY |
                                       mc.SMFIP_NOEOH))
    rc, out, err = load("-t", 5, "-o", res, cdir, e.spec)
    log = e.text()
    tap.ok(rc == 0 and "header name" not in log and "body len" not in log
           and "eoh" not in log, "SMFIP_NOHDRS/NOBODY/NOEOH: not sent")
    tap.ok("headers=0 body=0" in results(res)["a"][2][0],
           "milter saw no headers and no body: %r" % (results(res)["a"],))


class Recorder(object):
    """A milter that records every packet and answers like a plain one."""

    def __init__(self, path):
        self.path = path
        self.sessions = []
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(8)
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            packets = []
            self.sessions.append(packets)
            self.serve(conn, packets)

    def serve(self, conn, packets):
        try:
            while True:
                hdr = conn.recv(4, socket.MSG_WAITALL)
                if len(hdr) < 4:
                    return
                n = struct.unpack("!I", hdr)[0]
                pkt = conn.recv(n, socket.MSG_WAITALL)
                packets.append((pkt[:1], pkt[1:]))
                cmd = pkt[:1]
                if cmd == b"O":
                    conn.sendall(struct.pack("!IcIII", 13, b"O", 6, 0x1ff, 0))
                elif cmd == b"E":
                    conn.sendall(struct.pack("!Ic", 1, b"a"))
                elif cmd in b"CHMRTLNB":
                    conn.sendall(struct.pack("!Ic", 1, b"c"))
                elif cmd == b"Q":
                    return
        finally:
            conn.close()


def normalise(packets):
    """Packets with the queue id and the client port blanked."""
    out = []
    for cmd, data in packets:
        data = re.sub(rb"i\0[0-9A-F]{10}\0", b"i\0QID\0", data)
        if cmd == b"C":
            host, _, rest = data.partition(b"\0")
            data = host + b"\0" + rest[:1] + b"PP" + rest[3:]
        out.append((cmd, data))
    return out


def test_wire():
    raw = msg(b"wire", b"X-Fold: a\r\n  b\r\nX-Tab:\tt\r\n",
              body=b"line\r\n" * 20000)
    cdir = corpus("wire", [("w", raw, "client 192.0.2.7 mail.sender.example"
                            "\nhelo helo.sender.example\nmail "
                            "<a@sender.example>\nrcpt <bob@test.local>\n"
                            "rcpt <c@test.local>\n")])
    path = os.path.join(OUT, "rec.sock")
    if os.path.exists(path):
        os.unlink(path)
    rec = Recorder(path)
    mc.send_message("unix:" + path, "192.0.2.7", "helo.sender.example",
                    "a@sender.example", ["bob@test.local", "c@test.local"],
                    raw, client_name="mail.sender.example")
    rc, out, err = load(cdir, "unix:" + path)
    time.sleep(0.2)
    tap.is_((rc, len(rec.sessions)), (0, 2), "recorder saw both sessions")
    py, c = (normalise(s) for s in rec.sessions[:2])
    tap.is_([p[0] for p in c], [p[0] for p in py],
            "same packet sequence as milterclient.py (%d packets)" % len(py))
    tap.ok(c == py, "every packet byte-identical (queue id and client "
           "port aside)")
    tap.is_(sum(len(d) for k, d in c if k == b"B"), 120000,
            "body sent in full")


ZONE = """sender.example TXT "v=spf1 ip4:192.0.2.7 -all"
_dmarc.sender.example TXT "v=DMARC1; p=reject"
"""


def test_daemon():
    if not os.access(harness.daemon_path(), os.X_OK):
        tap.skip("milter/dmarcwarden not built", 4)
        return
    dns = harness.start_dns(ZONE)
    if dns is None:
        tap.skip("test DNS: %s" % harness.last_dns_error, 4)
        return
    d = harness.Daemon(harness.outdir("milterload-daemon"),
                       {"Syslog": "no"}, dns=dns)
    d.start()
    cdir = corpus("daemon", [
        ("pass", msg(b"hi"), ENV),
        ("spoof", msg(b"hi"), ENV.replace("192.0.2.7", "203.0.113.9")),
    ])
    res = os.path.join(OUT, "daemon.results")
    rc, out, err = load("-c", 2, "-n", 20, "-w", 4, "-o", res, cdir,
                        d.socket_spec)
    d.proc.send_signal(15)
    tap.is_(rc, 0, "daemon: exit 0 %s" % err.strip()[:200])
    tap.is_(tally(out), {"accept": 10, "hold": 0, "reject": 10,
                         "tempfail": 0, "discard": 0, "error": 0},
            "daemon: 10 accepted, 10 rejected (warm-up not counted)")
    r = results(res)
    ar = [e for e in r["pass"][2] if "Authentication-Results" in e]
    tap.like(ar[0] if ar else "", r"\\tdmarc=pass ", "A-R header recorded")
    tap.is_(r["spoof"][1], "550 5.7.1 DMARC policy of sender.example "
            "rejects this message", "reject text")


def serve_once(path, reply):
    """A fake milter: answers OPTNEG with reply bytes, then reads."""
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)

    def run():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            try:
                conn.recv(4096)
                conn.sendall(reply)
                time.sleep(2)
            except OSError:
                pass
            conn.close()
    threading.Thread(target=run, daemon=True).start()
    return srv


def test_errors():
    good = corpus("err-good", [("a", msg(b"x"), ENV)])
    rc, out, err = load()
    tap.is_(rc, 2, "no arguments: usage, exit 2")
    rc, out, err = load(good, "tcp:1")
    tap.is_((rc, "unknown endpoint" in err), (2, True), "bad endpoint")
    rc, out, err = load(os.path.join(OUT, "nonexistent"), "unix:/x")
    tap.is_(rc, 2, "missing corpus directory: exit 2")
    cases = [("noenv", None, r"noenv/a\.env: No such file"),
             ("badkey", "client 192.0.2.1\nmail <a@b>\nbogus x\n",
              r"badkey/a\.env:3: unknown or repeated keyword \"bogus\""),
             ("badip", "client 999.1.1.1\nmail <a@b>\nrcpt <c@d>\n",
              r"a\.env:1: bad client address"),
             ("norcpt", "client 192.0.2.1\nmail <a@b>\n",
              r"needs client, mail and rcpt"),
             ("twomail", "client 192.0.2.1\nmail <a@b>\nmail <c@d>\n",
              r":3: unknown or repeated keyword \"mail\"")]
    for name, env, pattern in cases:
        cdir = os.path.join(OUT, "err-" + name)
        os.makedirs(cdir, exist_ok=True)
        with open(os.path.join(cdir, "a.eml"), "wb") as fp:
            fp.write(msg(b"x"))
        if env is not None:
            with open(os.path.join(cdir, "a.env"), "w") as fp:
                fp.write(env)
        rc, out, err = load(cdir, "unix:/nonexistent")
        tap.is_(rc, 2, "corpus error %s: exit 2" % name)
        tap.like(err, pattern, "corpus error %s named" % name)
    rc, out, err = load("-n", 3, good, "unix:" + os.path.join(OUT, "none"))
    tap.is_((rc, tally(out).get("error")), (1, 3),
            "no listener: 3 errors, exit 1")
    tap.like(err, r"at negotiate: connect .*: No such file",
             "connect error shown")
    hostile = [
        ("version 9", struct.pack("!IcIII", 13, b"O", 9, 1, 0), "version"),
        ("huge packet", struct.pack("!I", 1 << 30), "bad packet length"),
        ("actions not offered", struct.pack("!IcIII", 13, b"O", 6,
                                            0x10000, 0), "actions"),
        ("silence", b"", "timeout"),
    ]
    for name, reply, why in hostile:
        path = os.path.join(OUT, "h.sock")
        srv = serve_once(path, reply)
        t0 = time.time()
        rc, out, err = load("-t", 1, good, "unix:" + path, timeout=20)
        srv.close()
        tap.ok(rc == 1 and why in err and time.time() - t0 < 10,
               "hostile milter (%s): error counted, no hang: %s"
               % (name, err.strip()[:120]))


def main():
    if not os.access(LOAD, os.X_OK) or not os.access(ECHO, os.X_OK):
        tap.skip_all("milterload or echomilter not built")
    t0 = time.time()
    test_echo_counts()
    test_chain()
    test_options()
    test_wire()
    test_daemon()
    test_errors()
    cleanup()
    tap.diag("%.1f s" % (time.time() - t0))
    sys.exit(tap.done_testing())


main()
