#!/usr/bin/python3
# Tests of t/lib/milterclient.py against a real libmilter milter
# (t/tools/echomilter.c) and against scripted hostile fake milters.
import os
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

OUT = harness.outdir("milterclient")
procs = []


def build_echomilter():
    src = os.path.join(ROOT, "t", "tools", "echomilter.c")
    made = os.path.join(ROOT, "t", "tools", "echomilter")
    if os.path.exists(made) and os.path.getmtime(made) >= os.path.getmtime(src):
        return made
    exe = os.path.join(OUT, "echomilter")
    cmd = ["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-pthread", "-Wall",
           "-Wextra", "-Werror", "-Wstrict-prototypes",
           "-Wmissing-prototypes", "-Wno-unused-parameter", "-o", exe, src,
           "-lmilter"]
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if res.returncode != 0:
        tap.diag(res.stdout.decode("utf-8", "replace"))
        return None
    return exe


class Echo(object):
    def __init__(self, exe, name, *args):
        self.sock = os.path.join(OUT, name + ".sock")
        self.log = os.path.join(OUT, name + ".log")
        self.spec = "unix:" + self.sock
        for path in (self.sock, self.log):
            if os.path.exists(path):
                os.unlink(path)
        self.proc = subprocess.Popen([exe, "-p", self.spec, "-l", self.log]
                                     + list(args))
        procs.append(self.proc)
        harness.wait_for_socket(self.sock, 5, self.proc)
        open(self.log, "a").close()
        self.mark = 0

    def lines(self):
        """Log lines written since the previous call."""
        with open(self.log, "rb") as fp:
            fp.seek(self.mark)
            data = fp.read()
            self.mark += len(data)
        return data.decode("utf-8", "replace").splitlines()

    def stop(self):
        # libmilter lingers ~5 s after SIGTERM; the log is all we need.
        harness.stop_process(self.proc, grace=0.3)


def cleanup():
    for proc in procs:
        harness.stop_process(proc, grace=0.3)


harness.at_cleanup(cleanup)

MSG = (b"From: Alice <alice@example.com>\r\n"
       b"To: bob@test.local\r\n"
       b"Subject: hello\r\n"
       b"  folded line\r\n"
       b"X-Tab:\tvalue with tab\r\n"
       b"X-Delete-Me: please\r\n"
       b"\r\n"
       b"line one\r\n"
       b"line two\r\n")


def msg(subject, extra=b"", body=b"line one\r\nline two\r\n"):
    return (b"From: alice@example.com\r\nTo: bob@test.local\r\nSubject: "
            + subject.encode() + b"\r\n" + extra + b"\r\n" + body)


def send(echo, raw, rcpts=("bob@test.local",), **kw):
    ip = kw.pop("ip", "192.0.2.1")
    return mc.send_message(echo.spec, ip, "client.example.com",
                           "alice@example.com", list(rcpts), raw, **kw)


# ---------------------------------------------------------------- parsing
def test_parsing():
    hdrs, body = mc.parse_message(MSG)
    tap.is_([h[0] for h in hdrs],
            ["From", "To", "Subject", "X-Tab", "X-Delete-Me"],
            "parse: header names in order")
    tap.is_(hdrs[2][1], " hello\n  folded line",
            "parse: folded value keeps its line break as LF, no CR")
    tap.is_(body, b"line one\r\nline two\r\n", "parse: body with CRLF")
    hdrs, body = mc.parse_message(b"A: 1\nB : 2\n\nx\ny")
    tap.is_(hdrs, [("A", " 1"), ("B", " 2")],
            "parse: LF-only input, space before colon dropped from name")
    tap.is_(body, b"x\r\ny\r\n", "parse: LF body converted, last line ended")
    hdrs, body = mc.parse_message(b"A: 1\r\nnot a header line\r\nmore\r\n")
    tap.is_((hdrs, body), ([("A", " 1")], b"not a header line\r\nmore\r\n"),
            "parse: non-header line without blank separator starts body")
    hdrs, body = mc.parse_message(b"A: 1\r\n")
    tap.is_((hdrs, body), ([("A", " 1")], b""), "parse: headers only")
    tap.is_(mc.parse_endpoint("inet:8891@127.0.0.1"),
            (socket.AF_INET, ("127.0.0.1", 8891)), "endpoint inet:port@host")
    tap.is_(mc.parse_endpoint("inet:127.0.0.1:8891"),
            (socket.AF_INET, ("127.0.0.1", 8891)), "endpoint inet:host:port")
    tap.is_(mc.parse_endpoint("unix:/x/y"), (socket.AF_UNIX, "/x/y"),
            "endpoint unix:")
    stages = mc.split_macros({"j": "a", "{rcpt_addr}": "b",
                              "eom": {"x": "1"}, "{odd}": "c"})
    tap.is_(stages, {"connect": {"j": "a", "{odd}": "c"},
                     "rcpt": {"{rcpt_addr}": "b"}, "eom": {"x": "1"}},
            "macros: plain names go to Postfix's stage, unknown to connect")


# ---------------------------------------------------------- echomilter
def kv(line):
    """'event k=v k2=v2' -> dict (values may contain spaces: split on ' k=')."""
    import re
    out = {"event": line.split(" ", 1)[0]}
    for m in re.finditer(r" ([A-Za-z_]+)=(.*?)(?= [A-Za-z_]+=|$)", line):
        out[m.group(1)] = m.group(2)
    return out


def events(lines, name):
    return [kv(ln) for ln in lines if ln.split(" ", 1)[0] == name]


def test_basic(echo):
    r = send(echo, MSG, auth="alice", macros={"{daemon_addr}": "127.0.0.9"})
    # The milter logs "close" after the client hung up: wait for it.
    lines = echo.lines()
    for _ in range(100):
        if lines and lines[-1].split(" ", 1)[0] == "close":
            break
        time.sleep(0.05)
        lines += echo.lines()
    tap.is_(r.action, "accept", "echo: plain message accepted")
    tap.is_(r.stage, "eom", "echo: decision at end of message")
    tap.is_(r.headers_added, [("X-Echo", "headers=5 body=20 chunks=1")],
            "echo: X-Echo counts 5 headers, 20 body bytes (CRLF) in 1 chunk")
    tap.is_(r.headers_changed, [(1, "X-Delete-Me", "")],
            "echo: X-Delete-Me deletion seen as CHGHEADER index 1, empty value")
    tap.is_(r.quarantine, None, "echo: no quarantine")
    con = events(lines, "connect")
    tap.is_(len(con), 1, "echo log: one connect")
    con = con[0] if con else {}
    tap.is_(con.get("host"), "[192.0.2.1]", "connect: unknown name as [ip]")
    tap.is_(con.get("family"), "inet", "connect: family inet, address parsed")
    tap.is_(con.get("j"), "mx.test.local", "connect macro j")
    tap.is_(con.get("_"), "unknown [192.0.2.1]", "connect macro _")
    tap.is_(con.get("daemon_name"), "mx.test.local", "connect {daemon_name}")
    tap.is_([e.get("name") for e in events(lines, "helo")],
            ["client.example.com"], "helo name")
    mail = (events(lines, "mail") or [{}])[0]
    tap.is_(mail.get("from"), "<alice@example.com>", "mail: <sender>")
    tap.is_(mail.get("auth_authen"), "alice", "mail: {auth_authen}")
    tap.is_(mail.get("mail_addr"), "alice@example.com", "mail: {mail_addr}")
    rcpt = (events(lines, "rcpt") or [{}])[0]
    tap.is_((rcpt.get("to"), rcpt.get("rcpt_addr")),
            ("<bob@test.local>", "bob@test.local"), "rcpt: <rcpt>, {rcpt_addr}")
    qids = set(e.get("i") for e in events(lines, "data")
               + events(lines, "eoh") + events(lines, "eom"))
    tap.ok(len(qids) == 1 and None not in qids and "(none)" not in qids,
           "queue id macro i identical at data/eoh/eom: %r" % (qids,))
    tap.is_(mail.get("i"), "(none)", "no queue id at MAIL (as Postfix 3.7)")
    hdrs = [(e.get("name"), e.get("value")) for e in events(lines, "header")]
    tap.is_(hdrs[2] if len(hdrs) > 2 else None,
            ("Subject", "hello\\n  folded line"),
            "header: first space eaten, folding kept as LF")
    tap.is_(hdrs[3] if len(hdrs) > 3 else None,
            ("X-Tab", "\\tvalue with tab"), "header: tab after colon kept")
    tap.is_([e.get("len") for e in events(lines, "body")], ["20"],
            "body: one chunk of 20 bytes")
    order = [ln.split(" ", 1)[0] for ln in lines]
    # (a "close" from the start-up probe connection may come first)
    order = order[order.index("negotiate"):] if "negotiate" in order else order
    tap.is_(order, ["negotiate", "connect", "helo", "mail", "rcpt", "data",
                    "header", "header", "header", "header", "header", "eoh",
                    "body", "eom", "close"],
            "event order as Postfix sends it")


def test_decisions(echo):
    r = send(echo, msg("please reject this"))
    tap.is_((r.action, r.reply), ("reject", "550 5.7.1 rejected by echomilter"),
            "reject with SMFIR_REPLYCODE text")
    r = send(echo, msg("temp please"))
    tap.is_((r.action, r.reply),
            ("tempfail", "451 4.7.1 Service unavailable - try again later"),
            "tempfail without text gets Postfix's default reply")
    r = send(echo, msg("hold me"))
    tap.is_((r.action, r.quarantine), ("accept", "held by echomilter"),
            "quarantine reason collected, action accept")
    r = send(echo, msg("discard me"))
    tap.is_(r.action, "discard", "discard")
    r = send(echo, msg("insert"))
    tap.is_(r.headers_inserted, [(0, "X-Inserted", "top")],
            "insert header with index")
    r = send(echo, msg("x"), client_name="reject-connect.example")
    tap.is_((r.stage, r.action), ("connect", "reject"), "reject at connect")
    echo.lines()
    r = send(echo, msg("x"), rcpts=["reject-rcpt@test.local", "ok@test.local"])
    tap.is_([x.action for x in r.rcpt_results], ["reject", "continue"],
            "per-recipient results")
    tap.is_(r.rcpt_results[0].reply, "550 5.1.1 no such user here",
            "rejected recipient reply")
    tap.is_(r.action, "accept", "message goes on with remaining recipient")
    r = send(echo, msg("x"), rcpts=["reject-rcpt@test.local"])
    tap.is_((r.stage, r.action), ("rcpt", "reject"),
            "all recipients rejected: decision at rcpt")
    tap.is_(events(echo.lines()[-3:], "data") + events(echo.lines(), "data"), [],
            "no DATA after all recipients rejected")
    r = send(echo, msg("x"), ip="2001:db8::1")
    lines = echo.lines()
    con = (events(lines, "connect") or [{}])[0]
    tap.is_((con.get("family"), con.get("host")), ("inet6", "[2001:db8::1]"),
            "IPv6 client sent with family 6")


def test_session(echo):
    echo.lines()
    c = mc.MilterClient(echo.spec).open()
    c.connect("[192.0.2.7]", "4", 1234, "192.0.2.7",
              mc.connect_macros("192.0.2.7"))
    c.helo("h.example")
    r1 = c.message("a@example.com", ["b@test.local"], msg("one"))
    r2 = c.message("a@example.com", ["b@test.local"], msg("hold two"))
    r3 = c.message("a@example.com", ["b@test.local"], msg("three"),
                   abort_at="body")
    r4 = c.message("a@example.com", ["b@test.local"], msg("reject four"))
    c.quit()
    tap.is_([r1.action, r2.action, r3.action, r4.action],
            ["accept", "accept", "aborted", "reject"],
            "four transactions on one connection")
    tap.is_((r1.quarantine, r2.quarantine), (None, "held by echomilter"),
            "per-message state does not leak between transactions")
    tap.isnt(r1.queue_id, r2.queue_id, "new queue id per message")
    time.sleep(0.2)
    lines = echo.lines()
    ev = [ln.split(" ", 1)[0] for ln in lines]
    tap.is_(ev.count("connect"), 1, "one milter connection")
    tap.is_(ev.count("eom"), 3, "three end-of-message, aborted one has none")
    tap.ok("abort" in ev, "abort mid-body reached the milter's abort callback")
    tap.is_(ev[-1:], ["close"], "quit closes")
    # Aborted mid-body: body was sent but no eom for message 3.
    i3 = [i for i, e in enumerate(ev) if e == "abort"]
    tap.ok(i3 and ev[i3[0] - 1] == "body", "abort came right after body")


def test_big_body(echo):
    body = (b"x" * 98 + b"\r\n") * 2000      # 200000 bytes
    r = send(echo, msg("big", body=body))
    lines = echo.lines()
    sizes = [int(e.get("len")) for e in events(lines, "body")]
    tap.is_(sizes, [65535, 65535, 65535, 3395], "body split in 65535 chunks")
    tap.is_(r.headers_added, [("X-Echo", "headers=3 body=200000 chunks=4")],
            "milter counted all body bytes")
    r = send(echo, msg("skip", extra=b"X-Skip-Body: yes\r\n", body=body))
    lines = echo.lines()
    tap.is_(len(events(lines, "body")), 1, "SMFIR_SKIP stops body chunks")
    tap.is_(r.headers_added, [("X-Echo", "headers=4 body=65535 chunks=1")],
            "after skip the message still ends normally")


def test_flags(exe):
    flags = (mc.SMFIP_NR_HDR | mc.SMFIP_NR_BODY | mc.SMFIP_NR_EOH
             | mc.SMFIP_NR_CONN | mc.SMFIP_NR_MAIL | mc.SMFIP_NR_RCPT
             | mc.SMFIP_NR_DATA | mc.SMFIP_NOHELO | mc.SMFIP_HDR_LEADSPC
             | mc.SMFIP_SKIP)
    echo = Echo(exe, "echo-nr", "-f", "%x" % flags)
    try:
        r = send(echo, MSG, timeout=5)
        lines = echo.lines()
        tap.is_(r.action, "accept", "no-reply flags honoured (no hang)")
        tap.is_(r.headers_added, [("X-Echo", "headers=5 body=20 chunks=1")],
                "no-reply session still delivers all events")
        tap.is_(events(lines, "helo"), [], "SMFIP_NOHELO: HELO not sent")
        hdrs = [(e.get("name"), e.get("value")) for e in events(lines, "header")]
        tap.is_(hdrs[2] if len(hdrs) > 2 else None,
                ("Subject", " hello\\n  folded line"),
                "SMFIP_HDR_LEADSPC: leading space kept")
        # Several messages with no-reply events must stay in sync.
        c = mc.MilterClient(echo.spec, timeout=5).open()
        tap.is_(c.protocol, flags, "negotiated protocol flags recorded")
        c.connect("[192.0.2.8]", "4", 1, "192.0.2.8", mc.connect_macros("192.0.2.8"))
        rs = [c.message("a@example.com", ["b@test.local"], msg(s)).action
              for s in ("one", "reject", "two")]
        c.quit()
        tap.is_(rs, ["accept", "reject", "accept"],
                "no-reply session stays in sync over several messages")
    finally:
        echo.stop()
    echo = Echo(exe, "echo-sym", "-M", "{auth_authen}")
    try:
        c = mc.MilterClient(echo.spec, timeout=5).open()
        tap.is_(c.symlists.get(mc.SMFIC_BODYEOB), {"auth_authen"},
                "SMFIR_SETSYMLIST macro list parsed from OPTNEG")
        c.connect("[192.0.2.8]", "4", 1, "192.0.2.8", mc.connect_macros("192.0.2.8"))
        r = c.message("a@example.com", ["b@test.local"], msg("x"), auth="carol")
        c.quit()
        sent = [d for cmd, d in c.sent if cmd == mc.SMFIC_MACRO
                and d[:1] == mc.SMFIC_BODYEOB]
        tap.is_(sent, [mc.SMFIC_BODYEOB], "EOM macros filtered by milter's list")
        tap.is_(r.action, "accept", "symlist session works")
    finally:
        echo.stop()


# ------------------------------------------------------- hostile milters
def fake_milter(path, script):
    """Serve one connection: answer OPTNEG, then for every packet received
    (except macros/abort/quit) send the next scripted raw bytes."""
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)

    def serve():
        conn, _ = srv.accept()
        conn.settimeout(5)
        try:
            todo = list(script)
            while True:
                hdr = conn.recv(4, socket.MSG_WAITALL)
                if len(hdr) < 4:
                    break
                (n,) = struct.unpack("!I", hdr)
                pkt = conn.recv(n, socket.MSG_WAITALL)
                if pkt[:1] == b"O":
                    conn.sendall(pack(b"O", struct.pack("!III", 6, 0x1ff, 0)))
                elif pkt[:1] in (b"D", b"A", b"Q"):
                    continue
                elif todo and todo[0] == "silent":
                    continue
                elif todo:
                    item = todo.pop(0)
                    if isinstance(item, tuple):
                        conn.sendall(item[1])
                        break
                    conn.sendall(item)
                else:
                    break
        except OSError:
            pass
        finally:
            conn.close()
            srv.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return t


def pack(cmd, data=b""):
    return struct.pack("!I", len(data) + 1) + cmd + data


def expect_error(script, name, timeout=2):
    path = os.path.join(OUT, "fake.sock")
    fake_milter(path, script)
    try:
        r = mc.send_message("unix:" + path, "192.0.2.1", "h", "a@b.example",
                            ["c@test.local"], msg("x"), timeout=timeout)
        tap.ok(False, name)
        tap.diag("no error, got %r" % (r,))
    except mc.MilterError as exc:
        tap.ok(True, "%s (%s)" % (name, exc))


def test_hostile():
    cont = pack(b"c")
    expect_error([struct.pack("!I", 0)], "zero packet length refused")
    expect_error([struct.pack("!I", 10 ** 7) + b"c"],
                 "oversized packet length refused")
    expect_error([pack(b"h", b"X\0y\0")],
                 "header modification before end-of-message refused")
    expect_error([cont] * 10 + [pack(b"h", b"X-No-Nul")],
                 "unterminated strings in ADDHEADER refused")
    expect_error([cont] * 10 + [pack(b"y", b"250 ok\0")],
                 "reply code not 4xx/5xx refused")
    expect_error([cont, ("close", b"\0\0")], "EOF mid-packet reported")
    expect_error(["silent"], "silence reported as timeout", timeout=0.5)
    expect_error([pack(b"c", b"junk")], "continue with data refused")


def test_harness():
    """t/lib/harness.py: config writing and the real daemon's life cycle."""
    conf = harness.write_config(os.path.join(OUT, "w.conf"), {
        "A": "x y", "B": True, "C": False, "D": ["1.2.3.0/24", "::1"],
        "E": None})
    tap.is_(open(conf).read().splitlines()[1:],
            ["A x y", "B on", "C off", "D 1.2.3.0/24, ::1"],
            "write_config: values, booleans, lists, None left out")
    if not os.access(harness.daemon_path(), os.X_OK):
        tap.skip("milter/dmarcwarden not built", 5)
        return
    d = harness.Daemon(OUT, {"NoSuchKeyAtAll": "1"}, name="badconf")
    try:
        d.start(timeout=5)
        tap.ok(False, "daemon with unknown config key refused to start")
        d.stop(grace=1)
    except harness.DaemonError as exc:
        tap.ok("--- " in str(exc), "DaemonError carries the daemon's stderr")
    d = harness.Daemon(OUT, {})
    d.start()
    tap.ok(d.running(), "daemon started, socket answers")
    r = mc.send_message(d.socket_spec, "192.0.2.1", "h.example",
                        "a@unreachable.invalid", ["b@test.local"], msg("x"))
    tap.ok(r.stage == "eom" and r.action in ("accept", "continue", "tempfail",
                                             "reject", "discard"),
           "one message through the real daemon: %r" % (r,))
    pid = d.pid()
    d.stop(grace=6)
    tap.ok(not d.running(), "daemon stopped")
    try:
        os.kill(pid, 0)
        gone = False
    except OSError:
        gone = True
    tap.ok(gone, "no daemon process left")


def main():
    t0 = time.time()
    test_parsing()
    exe = build_echomilter()
    if exe is None:
        tap.skip("cannot build echomilter", 1)
    else:
        echo = Echo(exe, "echo")
        test_basic(echo)
        test_decisions(echo)
        test_session(echo)
        test_big_body(echo)
        echo.stop()
        test_flags(exe)
    test_hostile()
    test_harness()
    cleanup()
    tap.note("%.1fs" % (time.time() - t0))
    sys.exit(tap.done_testing())


main()
