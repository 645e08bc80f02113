#!/usr/bin/python3
"""history_pg.t - the real daemon writes its history to a private
PostgreSQL (t/lib/pgserver.py), several milters at once, and keeps mail
flowing when the server goes away: rows go to the spool directory
(HistorySpool) and are replayed when it is back, none lost, none twice.

  fleet      4 milters sharing one spool directory write at once: the
             messages table holds exactly one row per message sent, no
             row_uid twice, host filled, child rows present
  fast       PostgreSQL stopped (pg_ctl -m fast) and started again under
             load: every message answered at once, rows counted exactly
             after recovery, the spool empty at the end
  immediate  the same with -m immediate (a crash)
  restart    a milter with its own spool is stopped while PostgreSQL is
             down (its rows go to the spool at exit) and started again
             after PostgreSQL is back: it replays its spool
  corrupt    a damaged spool file is moved aside (.bad) with a log line
  refused    a spooled row the server refuses is left out and logged,
             the others written
  -n         HistoryDB postgresql://... is not checked as a path; the
             HistorySpool directory is (missing parent, not a directory)
"""

import glob
import os
import re
import struct
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import subprocess  # noqa: E402

import dkimtest  # noqa: E402
import harness  # noqa: E402
import milterclient  # noqa: E402
import pgserver  # noqa: E402
import tap  # noqa: E402

GOOD_IP = "192.0.2.10"
RCPT = ["bob@mx.test.local"]

harness.require_daemon()
dns = harness.start_dns("\n".join([
    'example.com TXT "v=spf1 ip4:%s -all"' % GOOD_IP,
    '_dmarc.example.com TXT "v=DMARC1; p=reject"',
]))
if dns is None:
    tap.skip_all("test DNS server unavailable: %s" % harness.last_dns_error)
pg = pgserver.start("histpg")
if pg is None:
    tap.skip_all("no PostgreSQL: %s" % pgserver.last_error)
out = harness.outdir("history_pg")
shared_spool = os.path.join(out, "spool")
os.makedirs(shared_spool, exist_ok=True)


def start(name, spool, host=None, uri=None):
    cfg = {"HistoryDB": uri or pg.uri, "HistorySpool": spool,
           "IgnoreNetworks": "\"\"", "Syslog": "no",
           "StatsFile": os.path.join(out, name + ".prom"),
           "StatsInterval": 1, "HistoryHost": host}
    return harness.Daemon(out, cfg, dns=dns, name=name).start()


def send(d, n, tag, answered, pace=0.0):
    """n messages to d, pace seconds apart; appends (ok, seconds) per
    message to answered."""
    for i in range(n):
        time.sleep(pace)
        msg = dkimtest.message(frm="alice@example.com", to=RCPT[0],
                               body="%s %d\n" % (tag, i))
        t0 = time.time()
        try:
            r = milterclient.send_message(d.socket_spec, GOOD_IP,
                                          "mail.example", "alice@example.com",
                                          RCPT, msg)
            answered.append((r.action == "accept", time.time() - t0))
        except Exception as e:  # noqa: BLE001 - counted as a failure
            tap.diag("send to %s: %s" % (d.name, e))
            answered.append((False, time.time() - t0))


def send_all(milters, n, tag, pace=0.0):
    answered = []
    ts = [threading.Thread(target=send, args=(d, n, "%s-%s" % (tag, d.name),
                                              answered, pace))
          for d in milters]
    for t in ts:
        t.start()
    return ts, answered


def join(ts):
    for t in ts:
        t.join(120)


def count(sql="SELECT count(*) FROM messages"):
    try:
        return int(pg.psql(sql))
    except (RuntimeError, ValueError):
        return -1


def wait_count(want, timeout=20.0):
    deadline = time.time() + timeout
    n = count()
    while n != want and time.time() < deadline:
        time.sleep(0.2)
        n = count()
    return n


def spool_files(d):
    return glob.glob(os.path.join(d, "*.spool"))


def wait_spool_empty(d, timeout=15.0):
    deadline = time.time() + timeout
    while spool_files(d) and time.time() < deadline:
        time.sleep(0.2)
    return spool_files(d)


def stat(d, name):
    try:
        with open(d.settings["StatsFile"]) as f:
            m = re.search(r"^dmarcwarden_%s (\d+)" % name, f.read(), re.M)
            return int(m.group(1)) if m else None
    except OSError:
        return None


def answered_ok(answered, n, what):
    bad = [a for a in answered if not a[0]]
    worst = max([a[1] for a in answered] or [0])
    tap.ok(len(answered) == n and not bad,
           "%s: all %d messages answered (%d failed)" % (what, n, len(bad)))
    tap.ok(worst < 3.0, "%s: slowest answer %.2f s" % (what, worst))


# ---- -n ---------------------------------------------------------------
def preflight(spool):
    conf = os.path.join(out, "pre.conf")
    harness.write_config(conf, {"Socket": "unix:%s/pre.sock" % out,
                                "RunAsRoot": "yes", "Syslog": "no",
                                "HistoryDB": pg.uri, "HistorySpool": spool})
    return subprocess.run([harness.daemon_path(), "-n", "-c", conf],
                          capture_output=True, text=True, timeout=30)


res = preflight(shared_spool)
tap.is_(res.returncode, 0, "-n: a PostgreSQL URI and a writable spool pass")
tap.unlike(res.stderr, r"HistoryDB", "-n: the URI is not checked as a path")
res = preflight(os.path.join(out, "no", "such", "spool"))
tap.like(res.stderr, r"HistorySpool \S+/no/such/spool: missing, and UserID",
         "-n: a spool directory that cannot be created is reported")
notdir = os.path.join(out, "spool-file")
open(notdir, "w").close()
res = preflight(notdir)
tap.like(res.stderr, r"HistorySpool \S+/spool-file: not a directory",
         "-n: a spool that is a file is reported")

# ---- fleet --------------------------------------------------------------
fleet = [start("m%d" % i, shared_spool, host="mx%d.test" % i)
         for i in range(4)]
ts, answered = send_all(fleet, 40, "fleet")
join(ts)
answered_ok(answered, 160, "fleet")
total = 160
tap.is_(wait_count(total), total, "fleet: one row per message")
tap.is_(count("SELECT count(DISTINCT row_uid) FROM messages"), total,
        "fleet: every row_uid distinct")
tap.is_(count("SELECT count(DISTINCT host) FROM messages"), 4,
        "fleet: HistoryHost of each milter stored")
tap.is_(count("SELECT count(*) FROM message_rcpt"), total,
        "fleet: a message_rcpt row per message")
tap.is_(count("SELECT count(*) FROM messages WHERE row_uid !~ "
              "'^[0-9a-f]{16}-[0-9]+$'"), 0,
        "fleet: row_uid is <instance>-<seq>")
tap.ok(not any("row by row" in d.stderr_text() for d in fleet),
       "fleet: every batch written whole (multi-row statements)")

# ---- PostgreSQL stopped and restarted under load ----------------------
def spooled_total():
    return sum(stat(d, "history_rows_spooled_total") or 0 for d in fleet)


for mode in ("fast", "immediate"):
    before = spooled_total()
    ts, answered = send_all(fleet, 30, mode, pace=0.1)
    time.sleep(0.8)
    pg.stop(mode)
    time.sleep(1.5)
    pg.start()
    join(ts)
    answered_ok(answered, 120, mode)
    total += 120
    tap.is_(wait_count(total), total,
            "%s: every row there after recovery" % mode)
    tap.is_(count("SELECT count(DISTINCT row_uid) FROM messages"), total,
            "%s: no row written twice" % mode)
    tap.is_(wait_spool_empty(shared_spool), [], "%s: spool empty" % mode)
    time.sleep(1.2)             # StatsInterval
    spooled = spooled_total() - before
    tap.ok(0 < spooled <= 120,
           "%s: rows went through the spool (%d)" % (mode, spooled))
stoppers = [threading.Thread(target=d.stop) for d in fleet]
for t in stoppers:
    t.start()
join(stoppers)
tap.is_(count("SELECT count(*) FROM message_rcpt"), total,
        "child rows written exactly once through stops and replays")

# ---- a milter stopped while PostgreSQL is down ------------------------
own_spool = os.path.join(out, "spool-m4")
os.makedirs(own_spool, exist_ok=True)
# Its URI carries a password (trust authentication ignores it): never
# logged.
PW_URI = pg.uri.replace("dmarcwarden@", "dmarcwarden:s3cret@")
m4 = start("m4", own_spool, uri=PW_URI)
pg.stop("fast")
answered = []
send(m4, 20, "m4", answered)
answered_ok(answered, 20, "restart")
m4.stop()
tap.ok(len(spool_files(own_spool)) > 0,
       "restart: rows spooled at exit (%d files)" %
       len(spool_files(own_spool)))
pg.start()
total += 20
m4 = start("m4", own_spool, uri=PW_URI)
tap.is_(wait_count(total), total, "restart: spool replayed at start-up")
tap.is_(wait_spool_empty(own_spool), [], "restart: spool empty")
tap.ok(re.search(r"replayed \d+ spooled rows", m4.stderr_text()),
       "restart: replay logged")

# ---- a corrupt spool file ---------------------------------------------
bad = os.path.join(own_spool, "0000000000000001-test-1.spool")
with open(bad, "wb") as f:
    f.write(b"DWSPOOL\n" + b"\x01" * 40)
deadline = time.time() + 10
while os.path.exists(bad) and time.time() < deadline:
    time.sleep(0.2)
tap.ok(os.path.exists(bad + ".bad"), "corrupt: moved aside to .bad")
tap.ok(re.search(r"spool file .*corrupt.*moved aside", m4.stderr_text()),
       "corrupt: logged")
tap.ok(m4.running(), "corrupt: daemon still running")

# ---- a spool file with a row the server refuses ------------------------
def spool_file(rows):
    """A spool file (history/spool.h) of rows, each a list of the 42
    messages columns (None = NULL), no child rows."""
    def field(v):
        if v is None:
            return struct.pack("<I", 0xffffffff)
        v = v.encode()
        return struct.pack("<I", len(v)) + v
    body = b""
    for r in rows:
        p = b"".join(field(v) for v in r) + struct.pack("<IIII", 0, 0, 0, 0)
        body += struct.pack("<II", len(p), zlib.crc32(p)) + p
    h = b"DWSPOOL\n" + struct.pack("<IIQ", 1, len(rows), len(body))
    return h + struct.pack("<I", zlib.crc32(h)) + body


def msg_row(uid, discovery="treewalk"):
    r = [""] * 42
    r[0], r[8], r[9], r[19] = "1700000000", discovery, "0", "none"
    r[26], r[27], r[40], r[41] = "mfrom", "none", uid, "crafted"
    for k in (23, 24, 28, 29, 34):
        r[k] = "0"
    for k in range(10, 19):
        r[k] = None
    for k in (20, 21, 22, 32, 33):
        r[k] = None
    return r


refused = os.path.join(own_spool, "0000000000000002-test-1.spool")
with open(refused + ".tmp", "wb") as f:
    f.write(spool_file([msg_row("crafted-1"), msg_row("crafted-2", None),
                        msg_row("crafted-3")]))
os.rename(refused + ".tmp", refused)
total += 2
tap.is_(wait_count(total), total, "refused row: the other rows written")
tap.is_(count("SELECT count(*) FROM messages WHERE host = 'crafted'"), 2,
        "refused row: left out")
tap.ok(re.search(r"refused row crafted-2", m4.stderr_text()),
       "refused row: logged")
tap.is_(wait_spool_empty(own_spool), [], "refused row: file done")
tap.ok("s3cret" not in m4.stderr_text() and
       re.search(r"dmarcwarden:\*\*\*@", m4.stderr_text()),
       "the password never logged, the URI shown redacted")
m4.stop()
pg.destroy()
tap.done_testing()
