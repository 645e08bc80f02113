#!/usr/bin/python3
"""reload.t - SIGHUP reloads dmarcwarden.conf and its LocalPolicyFile.

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
  - SIGHUP reloads dmarcwarden.conf itself (issue 7): changed reloadable
    keys (AuthservID, Enforcement, QuarantineMode, LocalPolicyFile,
    IgnoreSenderDomains, TrustedForwarders) apply from the next message,
    while a message in flight across the signal finishes with the old
    configuration (its Authentication-Results carries the old
    authserv-id) on a connection that stays open;
  - a config with a syntax error is refused with file:line in the log,
    and the running configuration stays;
  - a changed restart-only key (Socket) is logged as needing a restart,
    the daemon keeps serving on the old socket and the other changes of
    that reload apply;
  - the PID never changes; the StatsFile counts reloads ok and failed;
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
STATS = os.path.join(out, "stats.prom")
daemon = harness.Daemon(out, {"IgnoreNetworks": '""', "Syslog": "no",
                              "HistoryDB": '""', "LocalPolicyFile": LP,
                              "StatsFile": STATS},
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

def half_sent(qid):
    """A connection with MSG sent up to its last header (no EOH yet)."""
    conn = milterclient.MilterClient(daemon.socket_spec)
    conn.open()
    conn.connect("[%s]" % SPOOF_IP, "4", 54321, SPOOF_IP,
                 milterclient.connect_macros(SPOOF_IP, None))
    conn.helo("mail.example", {})
    conn.mail("ceo@reload.example", (),
              {"{mail_addr}": "ceo@reload.example"})
    conn.rcpt(RCPT, (), {"{rcpt_addr}": RCPT})
    conn.data({"i": qid})
    for name, value in headers:
        conn.header(name, value, {"i": qid})
    return conn


# A connection with a message half sent when the signal arrives.
headers, body = milterclient.parse_message(MSG)
c = half_sent("INFLIGHT")

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

write_policy("from reload.example enforcement=monitor\nfrom x.example bogus\n"
             "rcpt y.example enforcement=yes\n")
tap.ok(hup_and_wait(r"not reloaded, the running configuration", 2),
       "bad file: reload refused")
tap.like(daemon.stderr_text(), r"dmarcwarden\.conf not reloaded, the running "
         r"configuration stays in force: LocalPolicyFile: \S*local\.policy:2: "
         r"unknown setting 'bogus'",
         "the error names file and line")
tap.like(daemon.stderr_text(), r"dmarcwarden\.conf not reloaded, the running "
         r"configuration stays in force: LocalPolicyFile: \S*local\.policy:3: "
         r"enforcement=", "... and every other bad line, each on its own")
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

# ---- dmarcwarden.conf itself (issue 7)


def authserv_id(r):
    m = re.match(r"\s*([^;\s]+)", authres(r))
    return m.group(1) if m else None


def write_conf(changes, extra_line=None):
    """The start-up settings with changes; returns the line number of
    extra_line, appended at the end when given."""
    settings = dict(daemon.settings)
    settings.update(changes)
    harness.write_config(daemon.conf_path + ".tmp", settings)
    with open(daemon.conf_path + ".tmp") as fp:
        nlines = len(fp.read().splitlines())
    if extra_line is not None:
        with open(daemon.conf_path + ".tmp", "a") as fp:
            fp.write(extra_line + "\n")
    os.rename(daemon.conf_path + ".tmp", daemon.conf_path)
    return nlines + 1


def hup_new(pattern, timeout=10.0):
    """SIGHUP, then wait for pattern in what the daemon logs after it."""
    mark = len(daemon.stderr_text())
    os.kill(pid, signal.SIGHUP)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if re.search(pattern, daemon.stderr_text()[mark:]):
            return True
        time.sleep(0.05)
    return False


def send_from(mailfrom):
    return milterclient.send_message(daemon.socket_spec, SPOOF_IP,
                                     "mail.example", mailfrom, [RCPT], MSG)


def quarantine_header(r):
    return r.header_value("X-Dmarcwarden-Quarantine")


r = send_from("x@ignored.example")
tap.ok(authserv_id(r) == "mx.test.local" and outcome(r) == "reject",
       "before: mail from ignored.example is evaluated (%s, %s)"
       % (authserv_id(r), outcome(r)))

# A message half sent when dmarcwarden.conf is reloaded.
c = half_sent("OLDCONF")
write_conf({"AuthservID": "mx2.test.local", "Enforcement": "quarantine",
            "QuarantineMode": "header", "LocalPolicyFile": '""',
            "IgnoreSenderDomains": "ignored.example"})
tap.ok(hup_new(r"reloaded \S+dmarcwarden\.conf: Enforcement quarantine, "
               r"QuarantineMode header, PolicyDiscovery treewalk, "
               r"AuthservID mx2\.test\.local, LocalPolicyFile none"),
       "config reload logged with its summary")
c.eoh({"i": "OLDCONF"})
c.body(body, {"i": "OLDCONF"})
r = c.eom({"i": "OLDCONF"})
tap.is_(authserv_id(r), "mx.test.local",
        "message in flight across SIGHUP: the old AuthservID")
tap.is_(outcome(r), "reject",
        "message in flight: the old LocalPolicyFile (always-reject)")
c.abort()
r = c.message("ceo@reload.example", [RCPT], MSG, qid="NEWCONF")
tap.is_(authserv_id(r), "mx2.test.local",
        "next message on the same connection: the new AuthservID")
tap.ok(outcome(r) == "accept" and quarantine_header(r) is not None and
       r.quarantine is None,
       "new Enforcement quarantine with QuarantineMode header: %s, %r"
       % (outcome(r), quarantine_header(r)))
c.quit()
r = send_from("x@ignored.example")
tap.ok(r.action == "accept" and authres(r) == "",
       "new IgnoreSenderDomains: mail from ignored.example is skipped")

write_conf({"AuthservID": "mx2.test.local", "Enforcement": "quarantine",
            "QuarantineMode": "header", "LocalPolicyFile": '""',
            "TrustedForwarders": "198.51.100.0/24"})
tap.ok(hup_new(r"reloaded \S+dmarcwarden\.conf: .*AuthservID mx2"),
       "second config reload logged")
r = send("forwarder")
tap.ok(outcome(r) == "accept" and quarantine_header(r) is None and
       re.search(r"trusted_forwarder", authres(r)) is not None,
       "new TrustedForwarders: the failure is not quarantined (%s)"
       % authres(r))
r = send_from("x@ignored.example")
tap.is_(authserv_id(r), "mx2.test.local",
        "IgnoreSenderDomains removed again: evaluated")

line = write_conf({"AuthservID": "mx3.test.local",
                   "TrustedForwarders": '""'}, "NoSuchKey 1\nDNSTimeout 0")
tap.ok(hup_new(r"dmarcwarden\.conf:%d: bad value" % (line + 1)),
       "config with two bad lines: reload refused")
tap.like(daemon.stderr_text(),
         r"dmarcwarden\.conf not reloaded, the running configuration stays "
         r"in force: \S*dmarcwarden\.conf:%d: unknown key 'NoSuchKey'" % line,
         "the error names file and line (%d)" % line)
tap.like(daemon.stderr_text(),
         r"dmarcwarden\.conf not reloaded, the running configuration stays "
         r"in force: \S*dmarcwarden\.conf:%d: bad value for DNSTimeout"
         % (line + 1), "... and the next bad line too, on its own log line")
r = send("after-syntax-error")
tap.ok(authserv_id(r) == "mx2.test.local" and
       re.search(r"trusted_forwarder", authres(r)) is not None,
       "the running configuration stays (AuthservID %s)" % authserv_id(r))

other_sock = os.path.join(out, "other.sock")
write_conf({"Socket": "unix:" + other_sock, "AuthservID": "mx4.test.local",
            "Enforcement": "quarantine", "QuarantineMode": "header",
            "LocalPolicyFile": '""'})
tap.ok(hup_new(r"reloaded \S+dmarcwarden\.conf: .*AuthservID mx4"),
       "reload with a changed Socket is done")
tap.like(daemon.stderr_text(), r"dmarcwarden\.conf: Socket changed; restart "
         r"dmarcwarden to apply",
         "the changed restart-only key is named in a warning")
tap.unlike(daemon.stderr_text(), r"(AuthservID|Enforcement|TrustedForwarders)"
           r" changed; restart",
           "reloadable keys get no restart warning")
r = send("old-socket")
tap.ok(authserv_id(r) == "mx4.test.local" and
       quarantine_header(r) is not None,
       "still serving on the old socket, with the rest of the reload "
       "(AuthservID %s, TrustedForwarders gone)" % authserv_id(r))
tap.ok(not os.path.exists(other_sock), "no socket opened at the new path")
tap.ok(daemon.running() and daemon.pid() == pid and
       os.path.exists("/proc/%d" % pid), "same process throughout (PID %d)"
       % pid)

status = daemon.stop()
tap.is_(status, 0, "SIGTERM still stops the daemon, exit status 0")
stats = open(STATS).read() if os.path.exists(STATS) else ""
m_ok = re.search(r'^dmarcwarden_reloads_total\{result="ok"\} (\d+)$', stats,
                 re.M)
m_failed = re.search(r'^dmarcwarden_reloads_total\{result="failed"\} (\d+)$',
                     stats, re.M)
tap.ok(m_failed is not None and int(m_failed.group(1)) == 2,
       "StatsFile: 2 failed reloads (%s)"
       % (m_failed.group(1) if m_failed else "missing"))
tap.ok(m_ok is not None and int(m_ok.group(1)) >= 5,
       "StatsFile: the good reloads counted (%s)"
       % (m_ok.group(1) if m_ok else "missing"))
tap.like(daemon.stderr_text(), r"dmarcwarden stopping",
         "clean shutdown logged")
tap.done_testing()
