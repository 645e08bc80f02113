#!/usr/bin/python3
"""process.t - the daemon as a process: refusing root without UserID,
dropping to UserID after opening the socket (which goes to UserID), PID
file, StatsFile and `dmarcwarden -s`, files 0640, a clean SIGTERM, -n /
-V, and the start-up checks (preflight.h): -n reports every problem,
and the daemon, also when it detaches, exits 1 with them on stderr."""

import os
import pwd
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import dkimtest  # noqa: E402
import harness  # noqa: E402
import milterclient  # noqa: E402
import tap  # noqa: E402

harness.require_daemon()
DAEMON = harness.daemon_path()
out = harness.outdir("process")

# -V and -n need no privileges.
res = subprocess.run([DAEMON, "-V"], capture_output=True, text=True)
tap.like(res.stdout, r"^dmarcwarden \d+\.\d+", "-V prints the version")
bad = os.path.join(out, "bad.conf")
with open(bad, "w") as fp:
    fp.write("Socket unix:/tmp/x.sock\nDNSTimeout 0\n")
res = subprocess.run([DAEMON, "-n", "-c", bad], capture_output=True,
                     text=True)
tap.is_(res.returncode, 1, "-n on a bad config exits 1")
tap.like(res.stderr, re.escape(bad) + r":2: bad value for DNSTimeout",
         "-n names file:line")
# Every bad line, one "file:line: message" per stderr line, and the
# file is still refused as a whole (also at start-up).
with open(bad, "w") as fp:
    fp.write("Socket unix:/tmp/x.sock\nDNSTimeout 0\nFoo 1\n# ok\n"
             "Enforcement monitor\nSocket unix:/tmp/y.sock\n")
want = [bad + ":2: bad value for DNSTimeout: '0'",
        bad + ":3: unknown key 'Foo'",
        bad + ":6: duplicate key Socket (first set at line 1)"]
for args, what in ((["-n"], "-n"), (["-f"], "start-up")):
    res = subprocess.run([DAEMON] + args + ["-c", bad], capture_output=True,
                         text=True, timeout=20)
    tap.is_(res.returncode, 1, "%s on three bad lines exits 1" % what)
    lines = res.stderr.splitlines()
    tap.is_(len(lines), 3, "%s: one stderr line per bad line" % what)
    tap.ok(all(any(ln.startswith("dmarcwarden: " + w) for ln in lines)
               for w in want), "%s names every bad line: %r" % (what, lines))

# -n checks what start-up needs and reports every problem, not the first.
lp = os.path.join(out, "local.policy")
with open(lp, "w") as fp:
    fp.write("from example.com frobnicate\nfrom example.net monitor\n"
             "rcpt example.org enforcement=yes\n")
many = os.path.join(out, "many.conf")
with open(many, "w") as fp:
    fp.write("Socket unix:%s/nodir/dw.sock\n" % out
             + "UserID dw-no-such-user\n"
             + "ChrootDirectory %s/nochroot\n" % out
             + "LocalPolicyFile %s\n" % lp
             + "DNSSEC yes\nTrustAnchorFile %s/no.key\n" % out
             + "PidFile %s/nopid/x.pid\n" % out)
res = subprocess.run([DAEMON, "-n", "-c", many], capture_output=True,
                     text=True)
tap.is_(res.returncode, 1, "-n with start-up problems exits 1")
for what, pattern in (
        ("UserID", r"UserID: no such user 'dw-no-such-user'"),
        ("ChrootDirectory", r"ChrootDirectory \S+/nochroot: No such file"),
        ("the socket directory", r"Socket \S+/nodir/dw.sock: directory "
         r"\S+/nodir: No such file"),
        ("LocalPolicyFile syntax", r"LocalPolicyFile: \S+local.policy:1: "
         r"unknown setting 'frobnicate'"),
        ("every LocalPolicyFile error", r"\ndmarcwarden: LocalPolicyFile: "
         r"\S+local.policy:3: enforcement="),
        ("TrustAnchorFile", r"TrustAnchorFile \S+/no.key: No such file"),
        ("the PidFile directory", r"PidFile \S+/nopid/x.pid: directory")):
    tap.like(res.stderr, pattern, "-n reports %s" % what)
# Started (without -f: it detaches), the same problems stop it before it
# detaches, with status 1 and the reasons on stderr.
res = subprocess.run([DAEMON, "-c", many], capture_output=True, text=True,
                     timeout=20)
tap.is_(res.returncode, 1, "daemon with an unknown UserID exits 1")
tap.like(res.stderr, r"cannot start: UserID: no such user", "... saying why "
         "on stderr")

if os.geteuid() != 0:
    tap.skip("not root: privilege tests need root", 22)
    tap.done_testing()
    sys.exit(0)

# Root without UserID and without RunAsRoot: refused.
d = harness.Daemon(out, {"RunAsRoot": "no", "Syslog": "no"}, name="root")
try:
    d.start(timeout=5)
    tap.ok(False, "daemon refuses to run as root without UserID")
    d.stop()
except harness.DaemonError as exc:
    tap.like(str(exc), r"refusing to run as root",
             "daemon refuses to run as root without UserID")

ZONE = "\n".join([
    'example.com TXT "v=spf1 ip4:192.0.2.10 -all"',
    '_dmarc.example.com TXT "v=DMARC1; p=reject"',
])
dns = harness.start_dns(ZONE)
if dns is None:
    tap.skip_all("test DNS server unavailable: %s" % harness.last_dns_error)
nobody = pwd.getpwnam("nobody")
state = os.path.join(out, "state")
os.makedirs(state, exist_ok=True)
os.chmod(state, 0o777)
pidfile = os.path.join(state, "dmarcwarden.pid")
stats = os.path.join(state, "stats.prom")
history = os.path.join(state, "history.db")
d = harness.Daemon(out, {
    "RunAsRoot": "no", "UserID": "nobody", "PidFile": pidfile,
    "StatsFile": stats, "StatsInterval": 1, "HistoryDB": history,
    "IgnoreNetworks": '""', "Syslog": "no"}, dns=dns, name="nobody")
d.start()
# The socket listens before the drop; "starting on" is logged after it.
for _ in range(100):
    if "starting on" in d.stderr_text():
        break
    time.sleep(0.05)
with open("/proc/%d/status" % d.pid()) as fp:
    uids = re.search(r"^Uid:\s+(\d+)\s+(\d+)\s+(\d+)", fp.read(), re.M)
tap.is_([int(u) for u in uids.groups()], [nobody.pw_uid] * 3,
        "running as UserID nobody (real, effective, saved uid)")
with open(pidfile) as fp:
    tap.is_(int(fp.read()), d.pid(), "PID file holds the daemon's pid")
st = os.stat(d.socket_path)
tap.is_((st.st_uid, st.st_gid), (nobody.pw_uid, nobody.pw_gid),
        "socket opened as root, then given to UserID (user and group)")
tap.is_(st.st_mode & 0o777, 0o770, "socket mode follows UMask 007")
res = subprocess.run(d.command(), capture_output=True, text=True,
                     timeout=20)
tap.like(res.stderr, r"answers on it", "a second daemon refuses the socket "
         "in use (libmilter would remove it)")
tap.ok(os.path.exists(d.socket_path), "... and leaves it in place")
# A busy TCP port: the cause is given.
busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen()
res = subprocess.run([DAEMON, "-f", "-c", d.conf_path, "-p",
                      "inet:%d@127.0.0.1" % busy.getsockname()[1]],
                     capture_output=True, text=True, timeout=20)
busy.close()
tap.like(res.stderr, r"cannot open milter socket inet:\d+@127.0.0.1: "
         r"Address already in use", "bind failure gives the cause")


def run_briefly(sock, env_extra, name):
    """Start the daemon in the foreground on an inet socket with Syslog
    yes, wait until it listens, stop it; its stderr."""
    conf = harness.write_config(os.path.join(out, name + ".conf"),
                                dict(d.settings, Syslog="yes", Socket=sock))
    errpath = os.path.join(out, name + ".stderr")
    with open(errpath, "wb") as err:
        st = os.fstat(err.fileno())
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)
        if env_extra == "journal":
            env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
        proc = subprocess.Popen([DAEMON, "-f", "-c", conf], stdout=err,
                                stderr=err, env=env, start_new_session=True)
    port = int(re.match(r"inet:(\d+)", sock).group(1))
    try:
        harness.wait_for_socket(("127.0.0.1", port), 10, proc)
        time.sleep(0.3)
    finally:
        harness.stop_process(proc)
    with open(errpath) as fp:
        return fp.read()


text = run_briefly("inet:%d" % harness.free_port(), None, "allinet")
tap.like(text, r"Socket inet:\d+ listens on all addresses", "inet:PORT "
         "without a host: warned")
tap.like(text, r"starting on inet:", "-f logs to stderr too")
text = run_briefly("inet:%d@127.0.0.1" % harness.free_port(), "journal",
                   "journal")
tap.unlike(text, r"starting on|listens on all", "-f with stderr the journal "
           "and Syslog yes: no second copy on stderr")

actions = []
for ip in ("192.0.2.10", "198.51.100.1", "198.51.100.2"):
    r = milterclient.send_message(
        d.socket_spec, ip, "h.example", "a@example.com", ["b@test.local"],
        dkimtest.message(frm="a@example.com"))
    actions.append(r.action)
tap.is_(actions, ["accept", "reject", "reject"], "messages filtered")
text = ""
for _ in range(150):
    if os.path.exists(stats):
        with open(stats) as fp:
            text = fp.read()
        if "dmarcwarden_messages_total 3" in text:
            break
    time.sleep(0.1)
tap.like(text, r"(?m)^dmarcwarden_messages_total 3$", "StatsFile counts")
tap.like(text, r'(?m)^dmarcwarden_actions_total\{action="reject"\} 2$',
         "StatsFile counts actions")
tap.like(text, r'(?m)^dmarcwarden_dmarc_results_total\{result="pass"\} 1$',
         "StatsFile counts results")
tap.like(text, r"(?m)^# TYPE dmarcwarden_history_rows_dropped_total "
         r"counter$", "Prometheus TYPE lines")
res = subprocess.run([DAEMON, "-s", "-c", d.conf_path], capture_output=True,
                     text=True)
tap.like(res.stdout, r"dmarcwarden_messages_total \d+", "-s prints stats")
status = d.stop()
tap.is_(status, 0, "SIGTERM: clean exit")
tap.ok(not os.path.exists(pidfile), "PID file removed at exit")
tap.is_(os.stat(history).st_uid, nobody.pw_uid,
        "history database created by UserID")
tap.is_(os.stat(history).st_mode & 0o777, 0o640, "history database is 0640")
tap.is_(os.stat(stats).st_mode & 0o777, 0o640, "StatsFile is 0640")
tap.done_testing()
