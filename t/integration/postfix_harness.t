#!/usr/bin/python3
# The private Postfix instance (t/lib/postfix.py): starts beside any system
# Postfix, accepts SMTP on a loopback port, delivers to files, refuses
# relaying, talks to a real milter (t/tools/echomilter over inet), and
# leaves no process behind.
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
from postfix import PrivatePostfix, PostfixUnavailable  # noqa: E402

T0 = time.time()
OUT = harness.outdir("postfix_harness")
SYSTEM_MAIN = "/etc/postfix/main.cf"


def file_state(path):
    try:
        st = os.stat(path)
        return (st.st_mtime, st.st_size)
    except OSError:
        return None


def listening(port):
    sock = socket.socket()
    sock.settimeout(1)
    try:
        sock.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        sock.close()


def our_processes(config_dir):
    """pids whose environment names our config directory."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % pid, "rb") as fp:
                env = fp.read().split(b"\0")
            with open("/proc/%s/stat" % pid, "rb") as fp:
                state = fp.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != b"Z" and ("MAIL_CONFIG=" + config_dir).encode() in env:
            found.append(int(pid))
    return found


def echomilter():
    """Start t/tools/echomilter on an inet port (reachable by the postfix
    user); returns (proc, spec) or (None, reason)."""
    exe = os.path.join(ROOT, "t", "tools", "echomilter")
    src = exe + ".c"
    if not (os.path.exists(exe) and os.path.getmtime(exe) >= os.path.getmtime(src)):
        exe = os.path.join(OUT, "echomilter")
        res = subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-pthread",
                              "-o", exe, src, "-lmilter"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if res.returncode != 0:
            return None, "cannot build echomilter"
    port = harness.free_port()
    proc = subprocess.Popen([exe, "-p", "inet:%d@127.0.0.1" % port,
                             "-l", os.path.join(OUT, "echomilter.log")],
                            start_new_session=True)
    harness.at_cleanup(lambda: harness.stop_process(proc, grace=0.3))
    harness.wait_for_socket(("127.0.0.1", port), 5, proc)
    return proc, "inet:127.0.0.1:%d" % port   # Postfix syntax


class Recorder(object):
    """A raw milter that records every packet of every connection; answers
    OPTNEG with protocol flags 0 (send everything, reply to everything),
    'c' to events and 'a' at end of message."""

    def __init__(self):
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(5)
        self.port = self.srv.getsockname()[1]
        self.sessions = []
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            packets = []
            self.sessions.append(packets)
            threading.Thread(target=self._serve, args=(conn, packets),
                             daemon=True).start()

    def _serve(self, conn, packets):
        conn.settimeout(10)
        try:
            while True:
                hdr = conn.recv(4, socket.MSG_WAITALL)
                if len(hdr) < 4:
                    return
                (n,) = struct.unpack("!I", hdr)
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
        except OSError:
            return
        finally:
            conn.close()

    def close(self):
        self.srv.close()


def wire_shape(packets):
    """Command letters, with the event letter for macro packets."""
    out = []
    for cmd, data in packets:
        if cmd == b"D":
            out.append("D" + data[:1].decode())
        else:
            out.append(cmd.decode())
    return out


def compare_with_client(pf):
    """Same message through Postfix and through milterclient to the same
    recording milter: the packet sequence and the header packets must
    match (Date and Message-ID present so cleanup adds no header)."""
    rec = Recorder()
    harness.at_cleanup(rec.close)
    raw = (b"From: Alice <alice@example.com>\r\nTo: bob@test.local\r\n"
           b"Subject: wire\r\n  folded\tpart\r\nX-Tab:\tt\r\n"
           b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
           b"Message-ID: <w@example.com>\r\n\r\nbody\r\n")
    pf.set_main({"smtpd_milters": "inet:127.0.0.1:%d" % rec.port})
    code, _text = pf.smtp_send("alice@example.com", ["bob@test.local"], raw)
    time.sleep(0.3)
    mc.send_message("inet:%d@127.0.0.1" % rec.port, "127.0.0.1",
                    "client.example.com", "alice@example.com",
                    ["bob@test.local"], raw, client_name="localhost")
    time.sleep(0.3)
    pf.set_main({"smtpd_milters": ""})
    rec.close()
    tap.is_(code, 250, "recording milter: message accepted by Postfix")
    if len(rec.sessions) < 2:
        tap.ok(False, "recorder saw %d sessions" % len(rec.sessions))
        return
    postfix, client = rec.sessions[0], rec.sessions[-1]
    tap.is_(wire_shape(client), wire_shape(postfix),
            "client sends the same packet sequence as Postfix")
    hdr = lambda pk: [d for c, d in pk if c == b"L"]  # noqa: E731
    tap.is_(hdr(client), hdr(postfix), "header packets byte-identical")
    body = lambda pk: b"".join(d for c, d in pk if c == b"B")  # noqa: E731
    tap.is_(body(client), body(postfix), "body bytes identical")
    opt = lambda pk: [d for c, d in pk if c == b"O"]  # noqa: E731
    tap.is_(opt(client), opt(postfix), "OPTNEG offer identical")
    conn = lambda pk: [d for c, d in pk if c == b"C"]  # noqa: E731
    tap.is_([d.split(b"\0")[0] + d[-10:] for d in conn(client)],
            [d.split(b"\0")[0] + d[-10:] for d in conn(postfix)],
            "connect packet: same host name and address")


def main():
    before = file_state(SYSTEM_MAIN)
    pf = PrivatePostfix(domains=["test.local", "other.test"])
    try:
        pf.start()
    except PostfixUnavailable as exc:
        tap.skip_all(str(exc).splitlines()[0])
    tap.diag("private Postfix in %s on port %d (%.1fs)"
             % (pf.base, pf.port, time.time() - T0))
    tap.ok(pf.port != 25 and listening(pf.port),
           "smtpd listens on 127.0.0.1:%d (not 25)" % pf.port)
    tap.isnt(os.path.realpath(pf.config_dir), "/etc/postfix",
             "private config directory")

    msg = (b"From: Alice <alice@example.com>\r\nTo: bob@test.local\r\n"
           b"Subject: harness check\r\nMessage-ID: <h1@example.com>\r\n\r\n"
           b"Hello Bob.\r\n.leading dot line\r\n")
    code, text = pf.smtp_send("alice@example.com", ["bob@test.local"], msg)
    tap.is_(code, 250, "message accepted: %s" % text)
    qid = pf.last_queue_id
    tap.ok(qid, "queue id parsed from reply: %r" % (qid,))
    files = pf.wait_delivered(qid, 1, timeout=10)
    tap.is_([os.path.basename(f) for f in files], ["%s.bob@test.local" % qid],
            "delivered to one file per recipient")
    content = open(files[0], "rb").read().decode("utf-8", "replace") if files else ""
    tap.like(content, r"Subject: harness check", "delivered file has headers")
    tap.like(content, r"by mx\.test\.local \(Postfix\) with ESMTP id " + str(qid),
             "delivered file has our Received header")
    tap.like(content, r"Hello Bob\.\n\.leading dot line\n",
             "body intact (dot-stuffing undone)")

    code, text = pf.smtp_send("alice@example.com",
                              ["carol@other.test", "dave@test.local"], msg)
    qid2 = pf.last_queue_id
    files = pf.wait_delivered(qid2, 2, timeout=10)
    tap.is_((code, len(files)), (250, 2), "two recipients, two deliveries")

    code, text = pf.smtp_send("alice@example.com", ["eve@elsewhere.example"], msg)
    tap.is_(code, 554, "unknown domain refused")
    tap.like(text, r"Relay access denied", "relay denied text: %s" % text)
    tap.is_(pf.hold_queue_ids(), [], "hold queue empty")
    tap.like(pf.log_text(), r"status=sent", "maillog_file written")

    # A real milter through Postfix: the wiring the end-to-end test needs.
    proc, spec = echomilter()
    if proc is None:
        tap.skip(spec, 6)
    else:
        pf.set_main({"smtpd_milters": spec})
        code, text = pf.smtp_send("alice@example.com", ["bob@test.local"],
                                  msg.replace(b"harness check", b"via milter"))
        files = pf.wait_delivered(pf.last_queue_id, 1, timeout=10)
        content = open(files[0], "rb").read().decode("utf-8", "replace") if files else ""
        tap.is_(code, 250, "accepted through milter")
        # 5 = 4 sent + the Date: header cleanup(8) adds before the milter
        # sees the headers; body = 31 bytes with CRLF line ends.
        tap.like(content, r"X-Echo: headers=5 body=31 chunks=1\n",
                 "milter-added header delivered")
        code, text = pf.smtp_send("alice@example.com", ["bob@test.local"],
                                  msg.replace(b"harness check", b"please reject"))
        tap.is_((code, text), (550, "5.7.1 rejected by echomilter"),
                "milter reject reaches the SMTP client")
        code, text = pf.smtp_send("alice@example.com", ["bob@test.local"],
                                  msg.replace(b"harness check", b"hold it"))
        held = pf.last_queue_id
        tap.is_(pf.hold_queue_ids(), [held] if held else ["?"],
                "milter quarantine puts the message on hold")
        tap.like(pf.held_message(held) if held else "", r"X-Echo: ",
                 "held message readable with postcat")
        harness.stop_process(proc, grace=0.3)
        code, text = pf.smtp_send("alice@example.com", ["bob@test.local"], msg)
        tap.is_(code // 100, 4, "milter down: tempfail (%d %s)" % (code, text))

    compare_with_client(pf)

    master = pf.proc
    pf.stop()
    tap.ok(master.poll() is not None, "master exited")
    tap.ok(not listening(pf.port), "port closed after stop")
    tap.is_(our_processes(pf.config_dir), [], "no process of the instance left")
    tap.ok(not os.path.exists(pf.base), "temp directory removed")
    tap.is_(file_state(SYSTEM_MAIN), before, "system main.cf untouched")
    elapsed = time.time() - T0
    tap.ok(elapsed < 20, "quick: %.1fs" % elapsed)
    sys.exit(tap.done_testing())


main()
