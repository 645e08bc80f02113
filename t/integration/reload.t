#!/usr/bin/python3
"""reload.t - SIGHUP reloads the LocalPolicyFile of a running daemon.

libmilter stops a milter on SIGHUP; dmarcwarden interposes sigwait()
(milter/reload.h) so that SIGHUP reloads instead.  Checked here against
the real daemon:
  - SIGHUP does not stop it (same process, socket still answers);
  - a message in flight on a connection when the signal arrives is
    finished normally (a decision and our Authentication-Results), and the
    next message on the same connection is evaluated with the new policy;
  - a bad file is refused with file:line in the log and the previous
    policy stays in force;
  - SIGHUPs in a burst while messages flow on other connections lose no
    message;
  - SIGTERM still stops the daemon cleanly (exit status 0)."""

import os
import re
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import dkimtest  # noqa: E402
import harness  # noqa: E402
import milterclient  # noqa: E402
import tap  # noqa: E402

harness.require_daemon()
SPOOF_IP = "198.51.100.66"
RCPT = "bob@mx.test.local"
ZONE = '_dmarc.reload.example TXT "v=DMARC1; p=reject"\n'

dns = harness.start_dns(ZONE)
if dns is None:
    tap.skip_all("test DNS server unavailable: %s" % harness.last_dns_error)
out = harness.outdir("reload")
LP = os.path.join(out, "local.policy")


def write_policy(text):
    tmp = LP + ".tmp"
    with open(tmp, "w") as fp:
        fp.write(text)
    os.rename(tmp, LP)


write_policy("from reload.example never-reject\n")
daemon = harness.Daemon(out, {"IgnoreNetworks": '""', "Syslog": "no",
                              "HistoryDB": '""', "LocalPolicyFile": LP},
                        dns=dns)
daemon.start()
pid = daemon.pid()
MSG = dkimtest.message(frm="ceo@reload.example", to=RCPT,
                       subject="pay this", body="Now.\n")


def wait_log(pattern, count=1, timeout=5.0):
    """Wait until the daemon's stderr matches pattern count times."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len(re.findall(pattern, daemon.stderr_text())) >= count:
            return True
        time.sleep(0.05)
    return False


def hup_and_wait(pattern, count):
    os.kill(pid, signal.SIGHUP)
    return wait_log(pattern, count)


def outcome(r):
    if r.action == "reject":
        return "reject"
    return "quarantine" if r.quarantine else r.action


def authres(r):
    vals = [v for (_i, n, v) in r.headers_inserted
            if n.lower() == "authentication-results"]
    return vals[0] if vals else ""


def send(qid):
    return milterclient.send_message(daemon.socket_spec, SPOOF_IP,
                                     "mail.example", "ceo@reload.example",
                                     [RCPT], MSG)


r = send("first")
tap.is_(outcome(r), "quarantine", "initial policy: never-reject quarantines")

# A connection with a message half sent when the signal arrives.
c = milterclient.MilterClient(daemon.socket_spec)
c.open()
c.connect("[%s]" % SPOOF_IP, "4", 54321, SPOOF_IP,
          milterclient.connect_macros(SPOOF_IP, None))
c.helo("mail.example", {})
c.mail("ceo@reload.example", (), {"{mail_addr}": "ceo@reload.example"})
c.rcpt(RCPT, (), {"{rcpt_addr}": RCPT})
c.data({"i": "INFLIGHT"})
headers, body = milterclient.parse_message(MSG)
for name, value in headers:
    c.header(name, value, {"i": "INFLIGHT"})

write_policy("# reloaded\nfrom reload.example enforcement=monitor\n")
tap.ok(hup_and_wait(r"reloaded \S+dmarcwarden\.conf: .*LocalPolicyFile "
                   r"\S+ \(1 entries\)", 1),
       "SIGHUP: reload logged")
time.sleep(0.2)
tap.ok(daemon.running() and daemon.pid() == pid,
       "the daemon did not stop on SIGHUP (same process)")

c.eoh({"i": "INFLIGHT"})
c.body(body, {"i": "INFLIGHT"})
r = c.eom({"i": "INFLIGHT"})
tap.ok(outcome(r) in ("accept", "quarantine") and
       re.search(r"dmarc=fail", authres(r)) is not None,
       "the message in flight was finished: %s" % outcome(r))
c.abort()
r = c.message("ceo@reload.example", [RCPT], MSG, qid="NEXT")
tap.is_(outcome(r), "accept",
        "next message on the same connection: new policy (monitor)")
tap.like(authres(r), r"policy\.override-reason=local_policy \(Enforcement "
         r"monitor, local\.policy:2 from reload\.example\)",
         "the override names the reloaded file's line")
c.quit()

write_policy("from reload.example enforcement=monitor\nfrom x.example bogus\n")
tap.ok(hup_and_wait(r"not reloaded, the running configuration", 1),
       "bad file: reload refused")
tap.like(daemon.stderr_text(), r"dmarcwarden\.conf not reloaded, the running "
         r"configuration stays in force: LocalPolicyFile: \S*local\.policy:2: "
         r"unknown setting 'bogus'",
         "the error names file and line")
r = send("after-bad")
tap.is_(outcome(r), "accept", "the previous policy stays in force")

write_policy("from reload.example always-reject\n")
results, errors = [], []


def flow():
    for i in range(15):
        try:
            results.append(outcome(send("flow%d" % i)))
        except Exception as exc:     # a dropped connection
            errors.append(repr(exc))


threads = [threading.Thread(target=flow) for _ in range(3)]
for t in threads:
    t.start()
for i in range(10):
    os.kill(pid, signal.SIGHUP)
    time.sleep(0.03)
for t in threads:
    t.join()
tap.is_(errors, [], "a burst of SIGHUPs dropped no connection")
tap.ok(len(results) == 45 and set(results) <= {"accept", "reject"},
       "every message got a decision (%d)" % len(results))
tap.ok(wait_log(r"reloaded \S+dmarcwarden\.conf: ", 2),
       "reloads logged during the burst")
r = send("after-burst")
tap.is_(outcome(r), "reject", "the last file is in force: always-reject")

status = daemon.stop()
tap.is_(status, 0, "SIGTERM still stops the daemon, exit status 0")
tap.like(daemon.stderr_text(), r"dmarcwarden stopping",
         "clean shutdown logged")
tap.done_testing()
