#!/usr/bin/python3
"""report_pg.t - dmarcwarden-report on PostgreSQL (issue 15), with a
private server (t/lib/pgserver.py) and the fake sendmail of the other
report tests (t/data/report/reptest.py).

  (a) the same rows in SQLite and in PostgreSQL give the same reports
      (records, counts, policy), and HistoryDB postgresql://... in the
      configuration file works as --db does
  (b) two reporter runs started at once, on one PostgreSQL and on one
      SQLite file: each report is sent exactly once, every row is
      marked exactly once (with the id of the report that counted it),
      the second run says it did nothing and exits 0
  (c) a row committed with a lower id than the reporter's snapshot while
      the reporter runs (milters commit out of id order) is neither
      counted nor marked by that run, and is reported by the next one
  and --expire-days on PostgreSQL (children deleted with their rows)
"""

import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "data", "report"))
import harness  # noqa: E402
import history  # noqa: E402
import history_pg  # noqa: E402
import pgserver  # noqa: E402
import reptest  # noqa: E402
import tap  # noqa: E402

if not os.access(reptest.REPORTER, os.X_OK):
    tap.skip_all("reporter/dmarcwarden-report not built")

T0 = 1763856000                   # 2025-11-23 00:00:00 UTC
PERIOD = ["--begin", "2025-11-23", "--end", "2025-11-24"]
DOMAINS = 12
out = harness.outdir("report_pg")
q = reptest.q


def newdir(name):
    path = os.path.join(out, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def fill(path):
    """DOMAINS domains, pass and fail rows, overrides, two rows written
    before schema version 2 (summaries NULL: read from the children),
    and rows that do not count."""
    db = history.create(path)
    for i in range(DOMAINS * 6):
        d = "d%d.example" % (i % DOMAINS)
        fail = i % 5 == 0
        history.add(db, time=T0 + 10 + i, policy_domain=d, header_from=d,
                    org_domain=d, spf_domain=d,
                    source_ip="192.0.2.%d" % (i % 3),
                    rua="mailto:dmarc@%s" % d,
                    result="fail" if fail else "pass",
                    dkim_aligned=0 if fail else 1,
                    spf_aligned=0 if fail else 1,
                    disposition_requested="reject" if fail else "none",
                    disposition_applied="quarantine" if fail else "none",
                    dkim=((d, "s%d" % (i % 2), "fail" if fail else "pass",
                           0 if fail else 1, ""),),
                    overrides=(("local_policy", "quarantined"),)
                    if fail else ())
    for i in range(2):
        history.add(db, time=T0 + 500 + i, source_ip="198.51.100.7",
                    dkim=(("example.com", "old", "pass", 1, "v1 row"),),
                    overrides=(("forwarded", ""),), dkim_summary=None,
                    override_summary=None)
    history.add(db, time=T0 + 600, is_report=1)
    history.add(db, time=T0 + 601, policy_found=0, policy_domain="")
    history.add(db, time=T0 + 602, action="tempfail")
    history.add(db, time=T0 + 86400 + 5)
    db.commit()
    db.close()


def records(xml):
    """policy_published and the sorted records of a report, ids left
    out, as comparable text."""
    c = reptest.et_counts(xml)
    root, ns = c["root"], c["ns"]
    pol = root.find("d:policy_published", ns)
    recs = []
    for rec in root.findall("d:record", ns):
        recs.append("|".join("%s=%s" % (e.tag.split("}")[-1],
                                        (e.text or "").strip())
                             for e in rec.iter()))
    return ("|".join("%s=%s" % (e.tag.split("}")[-1], e.text or "")
                     for e in pol.iter()), sorted(recs))


def dry_reports(rt, spec, name, config_db=False):
    """{domain: records()} of a dry run on spec."""
    dry = newdir(name)
    args = ["--dry-run", dry] + PERIOD
    if config_db:
        rt.write_config(dict(rt_settings, HistoryDB=spec))
    else:
        args = ["--db", spec] + args
    rc, so, se = rt.run(*args)
    if config_db:
        rt.write_config(rt_settings)
    got = {}
    for f in sorted(os.listdir(dry)):
        if f.endswith(".eml"):
            with open(os.path.join(dry, f), "rb") as fp:
                info = reptest.parse_report_mail(fp.read())
            got[info["domain"]] = records(info["xml"])
    return rc, se, got


def sent_by_domain(rts):
    """{domain: [report ids]} of every mail the fake sendmails got."""
    got = {}
    for rt in rts:
        for argv, raw in rt.sent():
            info = reptest.parse_report_mail(raw)
            got.setdefault(info["domain"], []).append(info["report_id"])
    return got


def both_at_once(rts, spec):
    """Two runs started together; (exit statuses, stderr texts)."""
    procs = [subprocess.Popen([reptest.REPORTER, "-c", rt.conf,
                               "--no-progress", "--db", spec] + PERIOD,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for rt in rts]
    res = [p.communicate(timeout=60) for p in procs]
    return ([p.returncode for p in procs],
            [e.decode("utf-8", "replace") for _, e in res])


def check_once(label, rts, spec, marked):
    """(b) on one database; marked(sql) runs a query there."""
    for rt in rts:
        with open(os.path.join(rt.out, "sendmail.sleep"), "w") as fp:
            fp.write("0.4\n")   # holds the lock ~1.5 s
    codes, errs = both_at_once(rts, spec)
    tap.is_(codes, [0, 0], "%s: both runs exit 0 (%s)" % (
        label, " / ".join(e.strip()[-200:] for e in errs)))
    skipped = [e for e in errs if "another dmarcwarden-report run is "
               "working on" in e]
    tap.is_(len(skipped), 1, "%s: one run says another one was working "
            "and does nothing" % label)
    got = sent_by_domain(rts)
    tap.is_(sorted(got), sorted(["d%d.example" % i for i in range(DOMAINS)]
                                + ["example.com"]),
            "%s: a report for every domain" % label)
    tap.ok(all(len(v) == 1 for v in got.values()),
           "%s: each report sent exactly once (%d mails)" % (
               label, sum(len(v) for v in got.values())))
    wrong = marked("SELECT count(*) FROM messages m JOIN report_log r ON"
                   " r.report_id = m.reported WHERE r.policy_domain <>"
                   " m.policy_domain")
    unmarked = marked("SELECT count(*) FROM messages WHERE reported IS NULL"
                      " AND policy_found = 1 AND is_report = 0 AND action"
                      " <> 'tempfail' AND time < %d" % (T0 + 86400))
    ids = marked("SELECT count(DISTINCT reported) FROM messages WHERE"
                 " reported IS NOT NULL AND reported <> '-'")
    logs = marked("SELECT count(*) FROM report_log")
    tap.is_((wrong, unmarked, ids, logs), (0, 0, len(got), len(got)),
            "%s: every row marked once, with its own domain's report id; "
            "one report_log row per report" % label)
    rids = set(v[0] for v in got.values())
    in_db = marked("SELECT string_agg(DISTINCT reported, ',') FROM messages"
                   " WHERE reported IS NOT NULL AND reported <> '-'"
                   if "postgres" in spec else
                   "SELECT group_concat(DISTINCT reported) FROM messages"
                   " WHERE reported IS NOT NULL AND reported <> '-'")
    tap.is_(set(in_db.split(",")), rids, "%s: the rows carry the ids of "
            "the reports sent" % label)


def sqlite_query(path):
    return lambda sql: str(q(path, sql)[0][0]) if "group_concat" in sql \
        else q(path, sql)[0][0]


def pg_query(pg):
    return lambda sql: pg.psql(sql) if "string_agg" in sql \
        else int(pg.psql(sql))


# ---- setup ----------------------------------------------------------------
src = os.path.join(newdir("src"), "history.db")
fill(src)
rt_settings = {"AuthservID": "mx.test.local", "Syslog": "no",
               "HistoryDB": '""', "ReportOrgName": "Test Receiver",
               "ReportSender": "dmarc-reports@mx.test.local"}
rt = reptest.Reporter(newdir("dry"))
rt_settings["ReportSendmail"] = rt.sendmail

# ---- (b) on SQLite first: needs no server -------------------------------
sq = os.path.join(newdir("sqlite-once"), "history.db")
shutil.copyfile(src, sq)
check_once("SQLite", [reptest.Reporter(newdir("sqlite-once/r%d" % i))
                      for i in range(2)], sq, sqlite_query(sq))

pg = pgserver.start("report_pg")
if pg is None:
    tap.diag("PostgreSQL did not start: %s" % pgserver.last_error)
    tap.done_testing()
    sys.exit(0)
history_pg.create(pg)
history_pg.copy_from_sqlite(src, pg)
tap.is_(pg.psql("SELECT count(*) FROM messages"),
        str(q(src, "SELECT count(*) FROM messages")[0][0]),
        "the rows copied into PostgreSQL")

# ---- (a) the same reports -----------------------------------------------
rc1, se1, from_sqlite = dry_reports(rt, src, "dry/sqlite")
rc2, se2, from_pg = dry_reports(rt, pg.uri, "dry/pg")
tap.is_((rc1, rc2), (0, 0), "dry runs exit 0 (%s %s)" % (se1.strip()[-300:],
                                                       se2.strip()[-300:]))
tap.is_(len(from_sqlite), DOMAINS + 1, "SQLite: %d reports" % (DOMAINS + 1))
tap.is_(sorted(from_pg), sorted(from_sqlite), "PostgreSQL: the same domains")
same = [d for d in from_sqlite if from_pg.get(d) == from_sqlite[d]]
tap.is_(len(same), len(from_sqlite), "PostgreSQL: the same policy, records "
        "and counts for every domain")
v1 = from_pg.get("example.com", ("", []))[1]
tap.ok(any("selector=old" in r and "comment=forwarded" in r for r in v1),
       "rows without summaries: DKIM and overrides read from the child "
       "tables (string_agg)")
rc3, se3, from_conf = dry_reports(rt, pg.uri, "dry/conf", config_db=True)
tap.is_((rc3, from_conf == from_pg), (0, True),
        "HistoryDB postgresql://... in the configuration file: the same "
        "reports %s" % se3.strip()[-200:])

# ---- (b) two runs at once on PostgreSQL ---------------------------------
check_once("PostgreSQL", [reptest.Reporter(newdir("pg-once/r%d" % i))
                          for i in range(2)], pg.uri, pg_query(pg))

# ---- (c) a lower id committed while the reporter runs -------------------
late_ip = "203.0.113.77"


def insert_sql(**cols):
    row = dict(history.DEFAULTS, envelope_to="test.local", dkim_summary="",
               override_summary="", time=T0 + 3000)
    row.update(cols)
    names = sorted(row)
    vals = ", ".join("'%s'" % str(row[n]).replace("'", "''")
                     for n in names)
    return "INSERT INTO messages (%s) VALUES (%s) RETURNING id" % (
        ", ".join(names), vals)


d0 = dict(policy_domain="d0.example", header_from="d0.example",
          policy_rua="mailto:dmarc@d0.example")
slow = subprocess.Popen(history_pg._psql_argv(pg, "")[:-2] + ["-f", "-"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True)
slow.stdin.write("BEGIN;\n%s;\n" % insert_sql(source_ip=late_ip, **d0))
slow.stdin.flush()
deadline = time.time() + 10
while time.time() < deadline and pg.psql(
        "SELECT count(*) FROM pg_stat_activity WHERE state ="
        " 'idle in transaction'") == "0":
    time.sleep(0.05)
fast_id = int(pg.psql(insert_sql(source_ip="203.0.113.78", **d0)))
late_id = fast_id - 1
tap.is_(pg.psql("SELECT count(*) FROM messages WHERE id = %d" % late_id),
        "0", "row %d not committed yet, row %d is" % (late_id, fast_id))
rc = [reptest.Reporter(newdir("pg-late/r%d" % i)) for i in range(2)]
with open(os.path.join(rc[0].out, "sendmail.sleep"), "w") as fp:
    fp.write("0.5\n")
run1 = subprocess.Popen([reptest.REPORTER, "-c", rc[0].conf,
                         "--no-progress", "--db", pg.uri] + PERIOD,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
deadline = time.time() + 20
while time.time() < deadline and not os.path.exists(
        os.path.join(rc[0].out, "mail", "0.args")):
    time.sleep(0.02)
slow.stdin.write("COMMIT;\n")
slow.stdin.close()
slow.wait(timeout=10)
tap.is_(pg.psql("SELECT count(*) FROM messages WHERE id = %d" % late_id),
        "1", "row %d committed while the reporter sends" % late_id)
so, se = run1.communicate(timeout=60)
tap.is_(run1.returncode, 0, "first run exits 0 %s" % se.decode()[-200:])
first = {reptest.parse_report_mail(raw)["domain"]:
         reptest.et_counts(reptest.parse_report_mail(raw)["xml"])
         for _, raw in rc[0].sent()}
tap.is_(first.get("d0.example", {}).get("by_ip"), {"203.0.113.78": 1},
        "first run: the committed row counted, the late one not")
tap.is_(pg.psql("SELECT id || ':' || coalesce(reported, 'NULL') FROM"
                " messages WHERE id IN (%d, %d) ORDER BY id" % (
                    late_id, fast_id)).split("\n")[0],
        "%d:NULL" % late_id, "first run: the late row is not marked")
r2, so2, se2 = rc[1].run("--db", pg.uri, *PERIOD)
second = [reptest.parse_report_mail(raw) for _, raw in rc[1].sent()]
tap.is_([(i["domain"], reptest.et_counts(i["xml"])["by_ip"])
         for i in second], [("d0.example", {late_ip: 1})],
        "second run: one report, with the late row only (%s)" % se2[-200:])
tap.is_(pg.psql("SELECT reported FROM messages WHERE id = %d" % late_id),
        second[0]["report_id"] if second else "?",
        "the late row is marked with the second report's id")

# ---- --expire-days on PostgreSQL: reported rows and their children go --
r3, so3, se3 = rc[1].run("--db", pg.uri, "--expire-days", "30", *PERIOD)
tap.is_((r3, pg.psql("SELECT count(*) FROM messages"),
         pg.psql("SELECT count(*) FROM messages WHERE reported IS NULL AND"
                 " time >= %d" % (T0 + 86400)),
         pg.psql("SELECT count(*) FROM message_dkim"),
         pg.psql("SELECT count(*) FROM report_log")),
        (0, "1", "1", "1", "0"), "--expire-days: only the unreported row "
        "of the next day is left, with its child; report_log emptied %s"
        % se3[-200:])
pg.destroy()
tap.done_testing()
