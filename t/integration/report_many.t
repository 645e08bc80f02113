#!/usr/bin/python3
"""report_many.t - dmarcwarden-report with one policy domain that has many
distinct records in a period (issue 11: it spun forever past 1,024,
agg_sort() rebuilt a 1,024-slot hash table).

  - 1,025 distinct records (source addresses): a real run through the
    fake sendmail; the report holds 1,025 records with the right counts
    and validates; rows marked
  (200,000 distinct records are checked by t/unit/aggregate.c on the
  module itself: a report of that size takes 1.4 GB and 15 s in the XML
  tree, too much for every make check)

The databases are generated with SQL inside SQLite (the milter's schema,
t/data/report/history.py), not row by row from Python.
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

T0 = 1763856000                   # 2025-11-23 00:00:00 UTC
PERIOD = ["--begin", "2025-11-23", "--end", "2025-11-24"]
out = harness.outdir("report_many")


def generate(path, records):
    """records distinct source addresses of example.com, 2 messages each."""
    if os.path.exists(path):
        os.unlink(path)
    db = history.create(path)
    cols = dict(history.DEFAULTS)
    cols.update(envelope_to="test.local",
                dkim_summary="example.com\x1dsel\x1dpass\x1d",
                override_summary="")
    names = [c for c in cols if c not in ("time", "source_ip")]
    db.execute(
        "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s "
        "WHERE i < ?) INSERT INTO messages (time, source_ip, %s) SELECT "
        "%d + i %% 80000, '10.' || (i %% %d / 65536) || '.' || "
        "(i %% %d / 256 %% 256) || '.' || (i %% %d %% 256), %s FROM s"
        % (", ".join(names), T0, records, records, records,
           ", ".join("?" for _ in names)),
        [2 * records - 1] + [cols[c] for c in names])
    db.commit()
    db.close()


# ---- 1,025 distinct records, a real run ---------------------------------
d1 = os.path.join(out, "r1025")
os.makedirs(d1, exist_ok=True)
h1 = os.path.join(d1, "history.db")
generate(h1, 1025)
rt = reptest.Reporter(d1)
try:
    rc, so, se = rt.run("--db", h1, *PERIOD, timeout=30)
    tap.is_(rc, 0, "1,025 records: run exits 0 (%s)" % se.strip()[-200:])
except Exception as exc:        # subprocess.TimeoutExpired: the hang
    tap.ok(False, "1,025 records: run did not finish: %s" % exc)
    so = ""
tap.like(so, r"1 domains, 1 reports, 1 sent", "one report sent")
sent = rt.sent()
if tap.is_(len(sent), 1, "one mail"):
    info = reptest.parse_report_mail(sent[0][1])
    c = reptest.et_counts(info["xml"])
    tap.is_((c["records"], c["total"]), (1025, 2050),
            "1,025 records, 2,050 messages")
    tap.ok(all(v == 2 for v in c["by_ip"].values()), "2 per source")
    good, err = reptest.xmllint(info["xml"])
    tap.ok(good, "xmllint validates it %s" % err[:200])
else:
    tap.skip("no mail", 3)
db = sqlite3.connect(h1)
tap.is_(db.execute("SELECT count(*) FROM messages WHERE reported IS NULL"
                   ).fetchall(), [(0,)], "all rows marked")
db.close()

tap.done_testing()
