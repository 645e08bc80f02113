#!/usr/bin/python3
"""report_retry.t - the nightly run also retries earlier periods (issue 11:
each run only looked at its own period, so a report left pending by a
temporary failure was never sent by the cron job).

  - day 1's run: sendmail answers EX_TEMPFAIL (75, Postfix's "try again");
    the next day's run (--begin day 2) sends day 1's report under the same
    report id and Message-ID, and day 2's; every row marked, every report
    done; a further run sends nothing
  - ReportRetryBackoff: a retry of an earlier period waits for it (the
    summary says so), then goes out once it has passed
  - ReportMaxAttempts counts the retries of earlier runs: given up, rows
    marked
  - catch-up: day 1's rows that no run ever reported (the run for day 1
    never happened) are reported by day 2's run; rows older than
    ReportCatchUpDays are not, and --expire-days keeps them and says so
    in the log and the summary
  - a pending report whose rows are gone is closed, not found forever
"""

import os
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "data", "report"))
import harness  # noqa: E402
import history  # noqa: E402
import reptest  # noqa: E402
import tap  # noqa: E402

if not os.access(reptest.REPORTER, os.X_OK):
    tap.skip_all("reporter/dmarcwarden-report not built")

DAY = 86400
T1 = 1763856000                   # 2025-11-23 00:00:00 UTC
DAY1 = ["--begin", "2025-11-23", "--end", "2025-11-24"]
DAY2 = ["--begin", "2025-11-24", "--end", "2025-11-25"]
q = reptest.q
out = harness.outdir("report_retry")


def two_days(name, conf):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    h = os.path.join(d, "history.db")
    db = history.create(h)
    for i in range(3):
        history.add(db, time=T1 + 100 + i)
    history.add(db, time=T1 + DAY + 100)
    history.add(db, time=T1 + DAY + 200, policy_domain="other.example",
                header_from="other.example", rua="mailto:r@other.example")
    db.commit()
    db.close()
    return reptest.Reporter(d, conf), h


def reports(rt):
    return [(argv[-1], i["begin"], i["report_id"], str(i["msg"]["Message-ID"]))
            for argv, raw in rt.sent()
            for i in [reptest.parse_report_mail(raw)]]


# ---- 1. a 451 on day 1, sent by day 2's run -------------------------------
rt, h = two_days("451", {"ReportRetryBackoff": "0"})
rt.sendmail_exit(75)
rc, so, se = rt.run("--db", h, *DAY1)
tap.like(so, r"1 reports, 0 sent, 0 skipped, 0 failed, 1 to retry",
         "day 1: temporary failure, left for a retry")
first = reports(rt)
rt.sendmail_exit(None)
rc, so, se = rt.run("--db", h, *DAY2)
tap.is_(rc, 0, "day 2's run exits 0 (%s)" % se.strip()[-200:])
tap.like(so, r"3 reports, 3 sent, .*, 1 earlier period,",
         "day 2's run: day 1's report and day 2's two, one earlier period")
tap.like(se, r"earlier period 1763856000\.\.1763942400: retrying",
         "the retry of day 1 is logged")
got = reports(rt)[len(first):]
day1 = [r for r in got if r[1] == T1]
tap.is_(len(day1), 1, "day 1's report sent once by day 2's run")
if day1 and first:
    tap.is_(day1[0][2:], first[0][2:], "same report id and Message-ID as "
            "the failed attempt")
else:
    tap.ok(False, "no day 1 report")
tap.is_(sorted((r[0], r[1]) for r in got),
        [("dmarc@example.com", T1), ("dmarc@example.com", T1 + DAY),
         ("r@other.example", T1 + DAY)], "and day 2's reports")
tap.is_(q(h, "SELECT count(*) FROM messages WHERE reported IS NULL"),
        [(0,)], "every row marked")
tap.is_(q(h, "SELECT state, count(*) FROM report_log GROUP BY state"),
        [("done", 3)], "every report done")
tap.is_(q(h, "SELECT attempts FROM report_dest d JOIN report_log l USING "
          "(report_id) WHERE l.begin = ?", T1), [(2,)],
        "two attempts recorded for day 1's report")
rc, so, se = rt.run("--db", h, *DAY2)
tap.like(so, r"0 reports, 0 sent", "a further run sends nothing")
tap.unlike(so, r"earlier period", "and has no earlier period left")

# ---- 2. backoff -------------------------------------------------------------
rt, h = two_days("backoff", {})                  # ReportRetryBackoff 3600
rt.sendmail_exit(75)
rt.run("--db", h, *DAY1)
rt.sendmail_exit(None)
rc, so, se = rt.run("--db", h, *DAY2)
tap.like(so, r"3 reports, 2 sent, .*1 earlier period, 1 deferred "
         r"\(ReportRetryBackoff\)", "an hour has not passed: day 1 waits")
tap.is_(q(h, "SELECT count(*) FROM messages WHERE reported IS NULL AND "
          "time < ?", T1 + DAY), [(3,)], "day 1's rows stay unreported")
db = sqlite3.connect(h)
db.execute("UPDATE report_dest SET last_attempt = last_attempt - 3601")
db.commit()
db.close()
rc, so, se = rt.run("--db", h, *DAY2)
tap.like(so, r"1 reports, 1 sent, .*1 earlier period", "an hour later: "
         "day 1's report goes")
tap.is_(q(h, "SELECT count(*) FROM messages WHERE reported IS NULL"),
        [(0,)], "then every row is marked")

# ---- 3. ReportMaxAttempts over several runs ---------------------------------
rt, h = two_days("max", {"ReportRetryBackoff": "0", "ReportMaxAttempts": "2"})
rt.sendmail_exit(75)
rt.run("--db", h, *DAY1)
rc, so, se = rt.run("--db", h, *DAY2)
tap.like(se, r"for example.com to mailto:dmarc@example.com failed for good "
         r"after 2 attempts", "day 1's report given up at the second run")
tap.is_(q(h, "SELECT count(*) FROM messages WHERE reported IS NULL AND "
          "time < ?", T1 + DAY), [(0,)], "its rows marked")

# ---- 4. catch-up of rows never reported; expiry says what it keeps ----------
d = os.path.join(out, "catchup")
os.makedirs(d, exist_ok=True)
h = os.path.join(d, "history.db")
db = history.create(h)
history.add(db, time=T1 + 10)                      # day 1: never reported
history.add(db, time=T1 + DAY + 10)                # day 2
history.add(db, time=T1 - 10 * DAY, policy_domain="old.example",
            header_from="old.example", rua="mailto:r@old.example")
db.commit()
db.close()
rt = reptest.Reporter(d)
rc, so, se = rt.run("--db", h, *DAY2)
tap.is_(sorted((r[0], r[1]) for r in reports(rt)),
        [("dmarc@example.com", T1), ("dmarc@example.com", T1 + DAY)],
        "day 2's run reports day 1's forgotten rows too")
tap.is_(q(h, "SELECT policy_domain FROM messages WHERE reported IS NULL"),
        [("old.example",)], "not the rows of 10 days ago (ReportCatchUpDays "
        "7)")
rc, so, se = rt.run("--db", h, "--expire-days", "5", *DAY2)
tap.like(se, r"1 messages older than 5 days were never reported \(the "
         r"oldest of 2025-11-13\): kept, not expired", "expiry: logged")
tap.like(so, r"1 UNREPORTED rows kept past the expiry", "and in the summary")
tap.is_(q(h, "SELECT policy_domain FROM messages WHERE reported IS NULL"),
        [("old.example",)], "the row is still there")

# ---- 5. a pending report whose rows are gone --------------------------------
db = sqlite3.connect(h)
db.execute("INSERT INTO report_log (report_id, policy_domain, begin, end, "
           "created, state) VALUES ('gone1', 'gone.example', ?, ?, 0, "
           "'pending')", (T1 - DAY, T1))
db.execute("INSERT INTO report_dest (report_id, uri, state) VALUES "
           "('gone1', 'mailto:r@gone.example', 'pending')")
db.commit()
db.close()
rc, so, se = rt.run("--db", h, *DAY2)
tap.like(se, r"report gone1 for gone.example: no unreported messages of "
         r"its period left; closed", "orphan closed and logged")
tap.like(so, r"1 pending reports closed", "summary says so")
rc, so, se = rt.run("--db", h, *DAY2)
tap.unlike(so, r"earlier period", "not found again")

tap.done_testing()
