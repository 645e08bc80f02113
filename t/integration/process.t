#!/usr/bin/python3
"""process.t - the daemon as a process: refusing root without UserID,
dropping to UserID after opening the socket, PID file, StatsFile and
`dmarcwarden -s`, a clean SIGTERM, and -n / -V."""

import os
import pwd
import re
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

if os.geteuid() != 0:
    tap.skip("not root: privilege tests need root", 12)
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
tap.is_(os.stat(d.socket_path).st_uid, 0, "socket opened before the drop")

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
tap.done_testing()
