#!/usr/bin/python3
"""storage.t - the history database fails under a running daemon; mail
keeps flowing, the daemon logs the condition, rows wait in the bounded
buffer and are written once the database is usable, drops are counted,
and SIGTERM flushes what is buffered.

  locked     another process holds an exclusive SQLite lock: 30 messages
             answered at once, HistoryBufferRows 20 kept, 10 dropped and
             counted (StatsFile), all 20 written when the lock goes
  read-only  the database directory is a read-only bind mount (private
             mount namespace, `unshare -m`): nothing can be created;
             remounted read-write, every buffered row is written
  full       the database lives on a 256 KB tmpfs (private mount
             namespace) filled up: writes fail "disk is full"; once space
             is freed, every buffered row is written
  deleted    the database file is removed: the daemon notices, creates a
             new one and writes the rows there
  SIGTERM    rows submitted just before SIGTERM are all on disk after
             exit; with the database locked through shutdown the unwritten
             rows are logged and counted, not lost silently

Mount namespaces need root (and unshare/nsenter); without them those two
cases are skipped with a reason.
"""

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import dkimtest  # noqa: E402
import harness  # noqa: E402
import milterclient  # noqa: E402
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
out = harness.outdir("storage")


def can_unshare():
    if os.geteuid() != 0 or not shutil.which("unshare") or \
            not shutil.which("nsenter"):
        return False
    return subprocess.run(["unshare", "-m", "true"],
                          stderr=subprocess.DEVNULL).returncode == 0


NS_OK = can_unshare()


class NsDaemon(harness.Daemon):
    """The daemon started in its own mount namespace, after `setup` (a
    shell snippet) ran there."""

    def __init__(self, out, config, dns, name, setup):
        harness.Daemon.__init__(self, out, config, dns=dns, name=name)
        self.setup = setup

    def command(self):
        return ["unshare", "-m", "--propagation", "private", "sh", "-ec",
                self.setup + '\nexec "$@"', "sh"] + \
            harness.Daemon.command(self)

    def nsrun(self, *cmd):
        return subprocess.run(["nsenter", "-t", str(self.pid()), "-m"] +
                              list(cmd), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)


def start(name, db, cls=harness.Daemon, **kw):
    cfg = {"AuthservID": "mx.test.local", "HistoryDB": db,
           "IgnoreNetworks": "\"\"", "Syslog": "no",
           "StatsFile": os.path.join(out, name + ".prom"),
           "StatsInterval": 1}
    cfg.update(kw.pop("config", {}))
    d = cls(out, cfg, dns=dns, name=name, **kw)
    d.start()
    return d


def send(d, n=1, tag="m"):
    """n messages; returns the slowest answer time (or None on failure)."""
    worst = 0.0
    for i in range(n):
        msg = dkimtest.message(frm="alice@example.com", to=RCPT[0],
                               body="%s %d\n" % (tag, i))
        t0 = time.time()
        r = milterclient.send_message(d.socket_spec, GOOD_IP, "mail.example",
                                      "alice@example.com", RCPT, msg)
        worst = max(worst, time.time() - t0)
        if r.action != "accept":
            tap.diag("unexpected action %s" % r.action)
            return None
    return worst


def rows(db, d=None):
    """Rows in the messages table; through the daemon's namespace when
    the file is only visible there."""
    if d is not None and isinstance(d, NsDaemon):
        p = d.nsrun("sqlite3", db, "SELECT count(*) FROM messages")
        try:
            return int(p.stdout.decode().strip())
        except ValueError:
            return -1
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=5)
        try:
            return con.execute("SELECT count(*) FROM messages").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return -1


def wait_rows(db, want, d=None, timeout=8.0):
    deadline = time.time() + timeout
    n = rows(db, d)
    while n != want and time.time() < deadline:
        time.sleep(0.1)
        n = rows(db, d)
    return n


def wait_log(d, pattern, timeout=6.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if re.search(pattern, d.stderr_text()):
            return True
        time.sleep(0.1)
    return False


def stat(d, name):
    try:
        with open(d.settings["StatsFile"]) as f:
            m = re.search(r"^dmarcwarden_%s (\d+)" % name, f.read(), re.M)
            return int(m.group(1)) if m else None
    except OSError:
        return None


def wait_stat(d, name, want, timeout=4.0):
    deadline = time.time() + timeout
    v = stat(d, name)
    while v != want and time.time() < deadline:
        time.sleep(0.2)
        v = stat(d, name)
    return v


# ---- locked ------------------------------------------------------------
lock_db = os.path.join(out, "locked.db")
locked = start("locked", lock_db, config={"HistoryBufferRows": 20})
send(locked)
tap.is_(wait_rows(lock_db, 1), 1, "locked: first row written")
holder = sqlite3.connect(lock_db, isolation_level=None, timeout=1)
holder.execute("BEGIN EXCLUSIVE")
worst = send(locked, 30, "locked")
tap.ok(worst is not None and worst < 2.0,
       "locked: 30 messages accepted while the database is locked "
       "(slowest %.2f s)" % (worst or -1))
tap.ok(wait_log(locked, r"history: .*locked\.db: cannot (write|open).*"
                r"locked"), "locked: the condition is logged")
tap.ok(wait_log(locked, r"rows buffered, the limit; \d+ rows dropped"),
       "locked: dropping past HistoryBufferRows is logged")
tap.is_(wait_stat(locked, "history_rows_dropped_total", 10), 10,
        "locked: 10 rows dropped and counted")
tap.is_(stat(locked, "history_rows_buffered"), 20,
        "locked: 20 rows buffered")
tap.is_(rows(lock_db), 1, "locked: nothing written meanwhile")
holder.execute("ROLLBACK")
holder.close()
tap.is_(wait_rows(lock_db, 21), 21, "locked: the 20 buffered rows written "
        "once the lock is gone")
tap.ok(wait_log(locked, r"locked\.db is writable again"),
       "locked: recovery logged")

# ---- deleted -----------------------------------------------------------
del_db = os.path.join(out, "deleted.db")
deleted = start("deleted", del_db)
send(deleted, 2)
tap.is_(wait_rows(del_db, 2), 2, "deleted: two rows written")
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(del_db + suffix):
        os.unlink(del_db + suffix)
tap.ok(send(deleted, 3, "deleted") is not None,
       "deleted: mail flows after the database was removed")
tap.ok(wait_log(deleted, r"deleted\.db was deleted or replaced"),
       "deleted: the condition is logged")
tap.is_(wait_rows(del_db, 3), 3, "deleted: a new database holds the "
        "three new rows")

# ---- read-only and full (mount namespaces) ----------------------------
ro = full = None
if NS_OK:
    ro_dir = os.path.join(out, "ro")
    os.makedirs(ro_dir)
    ro_db = os.path.join(ro_dir, "history.db")
    ro = start("readonly", ro_db, cls=NsDaemon, setup=(
        "mount --bind '%s' '%s'; mount -o remount,bind,ro '%s'"
        % (ro_dir, ro_dir, ro_dir)))
    full_dir = os.path.join(out, "full")
    os.makedirs(full_dir)
    full_db = os.path.join(full_dir, "history.db")
    full = start("full", full_db, cls=NsDaemon, setup=(
        "mount -t tmpfs -o size=256k tmpfs '%s'" % full_dir))

    worst = send(ro, 5, "ro")
    tap.ok(worst is not None and worst < 2.0,
           "read-only: 5 messages accepted (slowest %.2f s)" % (worst or -1))
    tap.ok(wait_log(ro, r"history: .*ro/history\.db: .*"
                    r"(read-only|readonly|unable to open)"),
           "read-only: the condition is logged")
    tap.is_(wait_stat(ro, "history_rows_buffered", 5), 5,
            "read-only: 5 rows buffered")
    p = ro.nsrun("mount", "-o", "remount,bind,rw", ro_dir)
    tap.is_(p.returncode, 0, "read-only: remounted read-write")
    tap.is_(wait_rows(ro_db, 5), 5, "read-only: the 5 rows written once "
            "the database can be created")

    send(full)
    tap.is_(wait_rows(full_db, 1, full), 1, "full: first row written")
    full.nsrun("sh", "-c", "dd if=/dev/zero of='%s/filler' bs=4k "
               "2>/dev/null; sync" % full_dir)
    p = full.nsrun("df", "--output=avail", full_dir)
    tap.like(p.stdout.decode(), r"\n\s*0\s*$", "full: the filesystem is full")
    worst = send(full, 40, "full-" + "x" * 2000)
    tap.ok(worst is not None and worst < 2.0,
           "full: 40 messages accepted on a full disk (slowest %.2f s)"
           % (worst or -1))
    tap.ok(wait_log(full, r"history: .*full/history\.db: cannot write: "
                    r".*(full|disk)"), "full: the condition is logged")
    tap.ok(rows(full_db, full) < 41, "full: not everything written "
           "(%d rows)" % rows(full_db, full))
    full.nsrun("rm", "-f", os.path.join(full_dir, "filler"))
    tap.is_(wait_rows(full_db, 41, full), 41, "full: all 41 rows written "
            "once space is freed")
else:
    tap.skip("mount namespaces unavailable (need root, unshare, nsenter)",
             11)

# ---- SIGTERM -----------------------------------------------------------
send(deleted, 50, "flush")
deleted.proc.send_signal(signal.SIGTERM)
holder = sqlite3.connect(lock_db, isolation_level=None, timeout=1)
holder.execute("BEGIN EXCLUSIVE")
send(locked, 5, "held")
locked.proc.send_signal(signal.SIGTERM)
for d in (ro, full):
    if d is not None:
        d.proc.send_signal(signal.SIGTERM)
tap.is_(deleted.stop(), 0, "SIGTERM: daemon exits cleanly")
tap.is_(rows(del_db), 53, "SIGTERM: the 50 rows submitted just before "
        "are on disk")
tap.is_(locked.stop(), 0, "SIGTERM with the database locked: clean exit")
holder.execute("ROLLBACK")
holder.close()
tap.like(locked.stderr_text(), r"history: .*locked\.db: 5 rows not written "
         r"at shutdown", "SIGTERM with the database locked: the 5 unwritten "
         "rows are logged")
tap.is_(rows(lock_db), 21, "SIGTERM with the database locked: nothing "
        "half-written")
for d in (ro, full, deleted, locked):
    if d is not None:
        if d.running():
            d.stop()
        tap.unlike(d.stderr_text(), r"Sanitizer|runtime error",
                   "%s: no sanitizer report" % d.name)
sys.exit(tap.done_testing())
