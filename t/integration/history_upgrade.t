#!/usr/bin/python3
"""history_upgrade.t - history schema upgrades by the real programs.

  - SQLite histories at versions 1, 2 and 3 (the DDL those releases
    created, t/data/history/schema-vN.sql) holding rows, upgraded to the
    current version by the milter (then written to) and, separately, by
    dmarcwarden-report: old rows intact, the aggregate report counts old
    and new rows;
  - a history of a newer version is refused by the milter (mail still
    flows) and the reporter, saying which database and which versions;
  - PostgreSQL (private server, t/lib/pgserver.py), when the milter writes
    PostgreSQL histories (it links hist_schema_open): a history at the
    previous version upgraded by the milter; four milters started at once
    on an empty database create the schema exactly once and all write.
"""

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "data", "report"))
import harness  # noqa: E402
import histdb  # noqa: E402
import milterclient  # noqa: E402
import pgserver  # noqa: E402
import reptest  # noqa: E402
import tap  # noqa: E402

harness.require_daemon()
CUR = histdb.current_version()
ZONE = "\n".join([
    'example.com TXT "v=spf1 ip4:192.0.2.1 -all"',
    '_dmarc.example.com TXT "v=DMARC1; p=none; rua=mailto:a@example.com"',
])
dns = harness.start_dns(ZONE)
if dns is None:
    tap.skip_all("test DNS server unavailable: %s" % harness.last_dns_error)
OUT = harness.outdir("history_upgrade")
NOW = int(time.time())
OLD_IP = "198.51.100.7"


def old_rows(con, version, n=3):
    """n messages about example.com as a version `version` milter wrote
    them (columns of later versions left out)."""
    cols = {"time": NOW - 600, "source_ip": OLD_IP, "helo": "old.example",
            "envelope_from": "example.com", "header_from": "example.com",
            "policy_domain": "example.com", "org_domain": "example.com",
            "discovery": "treewalk", "policy_found": 1, "policy_p": "none",
            "policy_sp": "none", "policy_np": "none", "policy_adkim": "r",
            "policy_aspf": "r", "policy_pct": 100, "policy_testing": "n",
            "policy_fo": "0", "policy_psd": "n", "result": "fail",
            "disposition_requested": "none",
            "disposition_evaluated": "none", "disposition_applied": "none",
            "spf_domain": "example.com", "spf_scope": "mfrom",
            "spf_result": "fail"}
    if version >= 2:
        cols.update(policy_rua="mailto:a@example.com", policy_ruf="",
                    envelope_to="test.local", dkim_summary="",
                    override_summary="")
    if version >= 3:
        cols.update(action="accept")
    for i in range(n):
        cols["qid"] = "OLD%d" % i
        con.execute("INSERT INTO messages (%s) VALUES (%s)" % (
            ", ".join(cols), ", ".join("?" * len(cols))), list(cols.values()))
    con.commit()


def old_db(path, version):
    con = histdb.sqlite_at(path, version)
    old_rows(con, version)
    con.close()


def meta_version(path):
    con = sqlite3.connect(path)
    v = (con.execute("PRAGMA user_version").fetchone()[0],
         con.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                     ).fetchone()[0])
    cols = [r[1] for r in con.execute("PRAGMA table_info(messages)")]
    con.close()
    return v, cols


def send(d, n=2):
    for i in range(n):
        msg = ("From: <alice@example.com>\r\nTo: <bob@test.local>\r\n"
               "Subject: new %d\r\n\r\nhello\r\n" % i).encode()
        r = milterclient.send_message(d.socket_spec, "203.0.113.9",
                                      "mx.sender.example",
                                      "<alice@example.com>",
                                      ["<bob@test.local>"], msg)
    return r


def milter(name, history):
    out = os.path.join(OUT, name)
    os.makedirs(out, exist_ok=True)
    cfg = {"AuthservID": "mx.test.local", "HistoryDB": history,
           "IgnoreNetworks": '""', "Syslog": "no", "Enforcement": "off"}
    if history.startswith("postgresql://"):
        # the PostgreSQL writer spools rows while the server is away
        cfg["HistorySpool"] = os.path.join(out, "spool")
    return harness.Daemon(out, cfg, dns=dns)


def report(name, history):
    """Run the reporter on history: (rc, stderr, {ip: count} of the
    example.com report)."""
    out = os.path.join(OUT, name + "-rep")
    os.makedirs(out, exist_ok=True)
    rt = reptest.Reporter(out, {"Nameservers": "127.0.0.1@%d" % dns.port})
    rc, so, se = rt.run("--db", history, "--begin", str(NOW - 3600),
                        "--end", str(NOW + 3600))
    by_ip = {}
    for argv, raw in rt.sent():
        i = reptest.parse_report_mail(raw)
        if i["domain"] == "example.com":
            for ip, c in reptest.et_counts(i["xml"])["by_ip"].items():
                by_ip[ip] = by_ip.get(ip, 0) + c
    return rc, so + se, by_ip


# --- SQLite: versions 1, 2, 3 upgraded by the milter, then reported ------
for v in (1, 2, 3):
    path = os.path.join(OUT, "milter-v%d.db" % v)
    old_db(path, v)
    d = milter("milter-v%d" % v, path)
    d.start()
    send(d)
    d.stop()
    (uv, mv), cols = meta_version(path)
    tap.is_((uv, mv), (CUR, str(CUR)), "milter upgraded version %d to %d"
            " (user_version, meta)" % (v, CUR))
    tap.ok("row_uid" in cols and "host" in cols and "action" in cols,
           "version %d: the new columns are there" % v)
    con = sqlite3.connect(path)
    tap.is_(con.execute("SELECT count(*), min(qid) FROM messages WHERE"
                        " source_ip = ?", (OLD_IP,)).fetchone(), (3, "OLD0"),
            "version %d: old rows intact" % v)
    tap.is_(con.execute("SELECT count(*) FROM messages WHERE source_ip ="
                        " '203.0.113.9'").fetchone()[0], 2,
            "version %d: the milter wrote its rows after the upgrade" % v)
    con.close()
    rc, log, by_ip = report("milter-v%d" % v, path)
    # (version 1 rows carry no rua; the newer rows of the same report
    # give the destination)
    tap.ok(rc == 0 and by_ip == {OLD_IP: 3, "203.0.113.9": 2},
           "version %d: the report counts old and new rows (%s)" % (v, by_ip))

# --- SQLite: upgraded by the reporter -----------------------------------
for v in (1, 2, 3):
    path = os.path.join(OUT, "report-v%d.db" % v)
    old_db(path, v)
    rc, log, by_ip = report("report-v%d" % v, path)
    (uv, mv), cols = meta_version(path)
    tap.is_((rc, uv, mv), (0, CUR, str(CUR)), "reporter upgraded version %d"
            " to %d" % (v, CUR))
    if v >= 2:
        tap.is_(by_ip, {OLD_IP: 3}, "version %d: report of the old rows" % v)
    else:
        tap.ok(by_ip == {}, "version 1 rows (no rua) send no report")
    con = sqlite3.connect(path)
    tap.is_(con.execute("SELECT count(*) FROM messages").fetchone()[0], 3,
            "version %d: rows intact after the reporter's upgrade" % v)
    con.close()

# --- a newer version is refused ------------------------------------------
path = os.path.join(OUT, "newer.db")
con = histdb.sqlite_at(path, CUR)
con.execute("PRAGMA user_version = %d" % (CUR + 5))
con.execute("UPDATE meta SET value = '%d' WHERE key = 'schema_version'"
            % (CUR + 5))
con.commit()
con.close()
d = milter("newer", path)
flowed = False
try:
    d.start()
    send(d, 1)          # if it runs, mail must flow all the same
    flowed = True
except (harness.DaemonError, milterclient.MilterError):
    pass                # refused at start-up (it may listen first)
time.sleep(0.5)
started = d.running()
d.stop()
err = d.stderr_text()
tap.ok(not started or flowed, "the milter refuses the newer history (%s)"
       % ("at start-up" if not started else "and keeps mail flowing"))
tap.like(err, re.escape(path) + r".*schema version %d.*%d" % (CUR + 5, CUR),
         "milter names the database and both versions")
rc, log, by_ip = report("newer", path)
tap.ok(rc != 0 and re.search(re.escape(path) + r".*schema version %d.*%d" % (
    CUR + 5, CUR), log), "reporter refuses it the same way (%s)" %
    log.strip()[-200:])
con = sqlite3.connect(path)
tap.is_(con.execute("SELECT count(*) FROM messages").fetchone()[0], 0,
        "nothing written into the newer history")
con.close()

# --- PostgreSQL ---------------------------------------------------------
nm = subprocess.run(["nm", harness.DAEMON], stdout=subprocess.PIPE,
                    text=True).stdout
if "hist_schema_open" not in nm:
    tap.skip("the milter does not write PostgreSQL histories yet (no"
             " hist_schema_open in it)", 6)
    tap.done_testing()
    sys.exit(0)
pg = pgserver.start("history_upgrade")
if pg is None:
    tap.skip("no PostgreSQL: %s" % pgserver.last_error, 6)
    tap.done_testing()
    sys.exit(0)


def pg_old_rows(n=3):
    pg.psql("INSERT INTO messages (time, source_ip, header_from,"
            " policy_domain, discovery, policy_found, policy_rua, result,"
            " spf_scope, spf_result, qid, action) SELECT %d, '%s',"
            " 'example.com', 'example.com', 'treewalk', 1,"
            " 'mailto:a@example.com', 'fail', 'mfrom', 'fail', 'OLD' || g,"
            " 'accept' FROM generate_series(0, %d) g" % (NOW - 600, OLD_IP,
                                                        n - 1))


histdb.pg_create(pg, CUR - 1)
pg_old_rows()
d = milter("pg-old", pg.uri)
d.start()
send(d)
d.stop()
tap.is_(histdb.pg_version(pg), CUR, "PostgreSQL: the milter upgraded"
        " version %d to %d" % (CUR - 1, CUR))
tap.is_(pg.psql("SELECT count(*) FROM messages WHERE source_ip = '%s'"
                % OLD_IP) + "/" + pg.psql("SELECT count(*) FROM messages"
                                          " WHERE source_ip ="
                                          " '203.0.113.9'"), "3/2",
        "PostgreSQL: old rows intact, new rows written")
tap.is_(pg.psql("SELECT count(*) FROM pg_indexes WHERE indexname ="
                " 'messages_row_uid'"), "1", "PostgreSQL: row_uid index")

# four milters at once on an empty database
pg.psql("DROP TABLE IF EXISTS %s CASCADE" % ", ".join(histdb.TABLES))
ds = [milter("pg-many-%d" % i, pg.uri) for i in range(4)]
errors = []


def start(dm):
    try:
        dm.start()
    except Exception as e:  # noqa: BLE001
        errors.append(str(e))


ts = [threading.Thread(target=start, args=(dm,)) for dm in ds]
for t in ts:
    t.start()
for t in ts:
    t.join()
for dm in ds:
    if dm.running():
        send(dm, 1)
for dm in ds:
    dm.stop()
logs = "".join(dm.stderr_text() for dm in ds)
tap.ok(not errors and "already exists" not in logs and "duplicate key"
       not in logs, "four milters started at once: no error (%s)" %
       (errors or re.findall(r".*(?:schema|cannot|error).*", logs)[:3]))
tap.is_(pg.psql("SELECT count(*) || '/' || max(value) FROM meta WHERE key ="
                " 'schema_version'") + "/" + pg.psql(
    "SELECT count(*) FROM messages"), "1/%d/4" % CUR,
    "schema created once, every milter wrote its row")
tap.is_(pg.psql("SELECT count(*) FROM meta WHERE key = 'created'"), "1",
        "one creation recorded")
pg.destroy()
tap.done_testing()
