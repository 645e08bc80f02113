#!/usr/bin/python3
"""report_sendpool.t - report mail handed to sendmail by a bounded pool
(ReportSendConcurrency; issue 11: one send after the other made 50,000
reports take 40 minutes).

A sendmail stand-in that takes 0.2 s a message and records how many of
it run at the same time:
  - ReportSendConcurrency 6: several at once, never more than 6; every
    report delivered exactly once, every row marked, every report done
  - ReportSendConcurrency 1, and --batch (pacing counts messages in
    order): one at a time
  - SIGKILL while sending with 4 at once: the rerun delivers the rest;
    at most the 4 messages in flight repeat, under the same report id
    and Message-ID
"""

import glob
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "data", "report"))
import harness  # noqa: E402
import history  # noqa: E402
import reptest  # noqa: E402
import tap  # noqa: E402

if not os.access(reptest.REPORTER, os.X_OK):
    tap.skip_all("reporter/dmarcwarden-report not built")

T0 = 1763856000
PERIOD = ["--begin", "2025-11-23", "--end", "2025-11-24"]
NDOM = 12
q = reptest.q
out = harness.outdir("report_sendpool")

SENDMAIL = """#!/bin/sh
dir="%(dir)s"
lock() { while ! mkdir "$dir/lock" 2>/dev/null; do sleep 0.01; done; }
lock
n=$(($(cat "$dir/running" 2>/dev/null || echo 0) + 1))
echo $n > "$dir/running"
[ $n -gt "$(cat "$dir/max" 2>/dev/null || echo 0)" ] && echo $n > "$dir/max"
rmdir "$dir/lock"
printf '%%s\\n' "$@" > "$dir/mail/$$.args"
cat > "$dir/mail/$$.eml"
sleep 0.2
lock
echo $(($(cat "$dir/running") - 1)) > "$dir/running"
rmdir "$dir/lock"
exit 0
"""


def setup(name, concurrency):
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "mail"), exist_ok=True)
    h = os.path.join(d, "history.db")
    db = history.create(h)
    for k in range(NDOM):
        dom = "d%02d.example" % k
        history.add(db, time=T0 + k, policy_domain=dom, header_from=dom,
                    rua="mailto:r@%s" % dom)
    db.commit()
    db.close()
    rt = reptest.Reporter(d, {"ReportSendConcurrency": str(concurrency)})
    with open(rt.sendmail, "w") as fp:
        fp.write(SENDMAIL % {"dir": d})
    return rt, h


def mails(rt, killed=False):
    """The report mails the stand-in got; after a SIGKILL (killed) a
    stand-in may have got an empty or cut message: not a delivery."""
    got = []
    for path in glob.glob(os.path.join(rt.out, "mail", "*.eml")):
        with open(path, "rb") as fp:
            raw = fp.read()
        try:
            got.append(reptest.parse_report_mail(raw))
        except Exception:            # AssertionError, bad gzip ...
            if not killed:
                raise
    return got


def peak(rt):
    with open(os.path.join(rt.out, "max")) as fp:
        return int(fp.read())


# ---- 6 at once -----------------------------------------------------------
rt, h = setup("six", 6)
rc, so, se = rt.run("--db", h, *PERIOD)
tap.is_(rc, 0, "run exits 0 (%s)" % se.strip()[-200:])
tap.like(so, r"%d reports, %d sent" % (NDOM, NDOM), "every report sent")
m = peak(rt)
tap.ok(2 <= m <= 6, "sendmail ran %d at once (2..6)" % m)
got = mails(rt)
tap.is_(sorted(i["domain"] for i in got),
        ["d%02d.example" % k for k in range(NDOM)], "each domain once")
tap.is_(q(h, "SELECT count(*) FROM messages WHERE reported IS NULL"),
        [(0,)], "every row marked")
tap.is_(q(h, "SELECT state, count(*) FROM report_log GROUP BY state"),
        [("done", NDOM)], "every report done")
tap.is_(q(h, "SELECT state, attempts, count(*) FROM report_dest GROUP BY "
          "state, attempts"), [("sent", 1, NDOM)],
        "every destination recorded sent after one attempt")

# ---- one at a time ----------------------------------------------------
for name, conc, args in (("one", 1, []), ("paced", 6, ["--batch", "100"])):
    rt, h = setup(name, conc)
    rc, so, se = rt.run("--db", h, *(PERIOD + args))
    tap.like(so, r"%d sent" % NDOM, "%s: every report sent" % name)
    tap.is_(peak(rt), 1, "%s: one sendmail at a time" % name)

# ---- SIGKILL with 4 at once ---------------------------------------------
rt, h = setup("kill", 4)
proc = subprocess.Popen([reptest.REPORTER, "-c", rt.conf, "--db", h,
                         "--no-progress"] + PERIOD, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE)
# Kill as soon as the first mails are being sent (whatever the load).
deadline = time.time() + 30
while not glob.glob(os.path.join(rt.out, "mail", "*.args")) and \
        time.time() < deadline:
    time.sleep(0.02)
proc.send_signal(signal.SIGKILL)
proc.wait()
time.sleep(0.5)                        # the orphaned stand-ins finish
first = len(mails(rt, killed=True))
tap.ok(0 < first < NDOM, "killed after %d of %d mails" % (first, NDOM))
rc, so, se = rt.run("--db", h, *PERIOD)
tap.is_(rc, 0, "rerun exits 0")
by_dom = {}
for i in mails(rt, killed=True):
    by_dom.setdefault(i["domain"], []).append(
        (i["report_id"], str(i["msg"]["Message-ID"])))
tap.is_(len(by_dom), NDOM, "every domain reported")
dups = {d: v for d, v in by_dom.items() if len(v) > 1}
tap.ok(len(dups) <= 4 and all(len(v) == 2 for v in dups.values()),
       "at most the 4 in flight repeated, once: %r" % sorted(dups))
tap.ok(all(len(set(v)) == 1 for v in dups.values()),
       "a repeat has the same report id and Message-ID")
tap.is_(q(h, "SELECT count(*) FROM messages WHERE reported IS NULL"),
        [(0,)], "all rows marked after the rerun")

tap.done_testing()
