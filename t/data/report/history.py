"""history - build dmarcwarden history databases for reporter tests and
the reporter benchmark, with the schema of history/schema.h.

SYNOPSIS
    import history
    db = history.create("/tmp/h.db")          # empty, current schema
    history.add(db, time=..., source_ip="192.0.2.1", header_from=...,
                policy_domain=..., rua="mailto:d@example.com", ...)
    db.commit()

DESCRIPTION
    create() reads the SQL of HISTORY_SCHEMA_SQL (and the version) out of
    history/schema.h, so the tests always use the milter's real
    schema.  add() inserts one messages row (keyword arguments name the
    columns; sensible defaults for a DMARC-passing message with a policy)
    and its children: rcpt (list of domains), dkim (list of (domain,
    selector, result, aligned, human_result)), overrides (list of
    (reason, comment)).  Returns the message id.
"""

import os
import re
import sqlite3

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
SCHEMA_H = os.path.join(ROOT, "history", "schema.h")


def _macros():
    text = open(SCHEMA_H, encoding="utf-8").read()
    macros = {}
    for m in re.finditer(r"#define (\w+)((?:[^\n]*\\\n)*[^\n]*)", text):
        macros[m.group(1)] = m.group(2)
    return macros


def _expand(macros, name):
    body = macros[name]
    out = []
    for tok in re.finditer(r'"((?:[^"\\]|\\.)*)"|(\b[A-Z_0-9]+\b)', body):
        if tok.group(1) is not None:
            out.append(tok.group(1).encode().decode("unicode_escape"))
        elif tok.group(2) in macros:
            out.append(_expand(macros, tok.group(2)))
    return "".join(out)


def schema_sql():
    m = _macros()
    return _expand(m, "HISTORY_SCHEMA_SQL"), int(m["HISTORY_SCHEMA_VERSION"])


def create(path):
    sql, version = schema_sql()
    db = sqlite3.connect(path)
    db.executescript(sql)
    db.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?),"
               " ('created', '1700000000')", (str(version),))
    db.execute("PRAGMA user_version = %d" % version)
    db.execute("PRAGMA journal_mode = WAL")
    db.commit()
    return db


DEFAULTS = dict(
    time=1700000000, qid="", source_ip="192.0.2.1", helo="mx.example.net",
    envelope_from="example.com", header_from="example.com",
    policy_domain="example.com", org_domain="example.com",
    discovery="treewalk", policy_found=1, policy_p="reject",
    policy_sp="reject", policy_np="reject", policy_adkim="r",
    policy_aspf="r", policy_pct=100, policy_testing="n", policy_fo="0",
    policy_psd="u", result="pass", disposition_requested="none",
    disposition_evaluated="none", disposition_applied="none",
    np_applied=0, sampled_out=0, spf_domain="example.com",
    spf_scope="mfrom", spf_result="pass", spf_aligned=1, dkim_aligned=1,
    arc_result="", arc_sealers="", policy_rua="mailto:dmarc@example.com",
    policy_ruf="", is_report=0)
# envelope_to, dkim_summary and override_summary are derived from the
# children unless given (None gives NULL, as in version 1 rows).


def add(db, rcpt=("test.local",), dkim=(("example.com", "sel", "pass", 1,
        ""),), overrides=(), **cols):
    row = dict(DEFAULTS)
    if "rua" in cols:
        cols["policy_rua"] = cols.pop("rua")
    row.update(cols)
    row.setdefault("envelope_to", rcpt[0] if rcpt else "")
    row.setdefault("dkim_summary", "\x1e".join(
        "\x1d".join((d, s, r, h)) for (d, s, r, a, h) in dkim))
    row.setdefault("override_summary", "\x1e".join(
        "\x1d".join(o) for o in overrides))
    names = sorted(row)
    cur = db.execute("INSERT INTO messages (%s) VALUES (%s)" % (
        ", ".join(names), ", ".join("?" * len(names))),
        [row[n] for n in names])
    mid = cur.lastrowid
    for i, d in enumerate(rcpt):
        db.execute("INSERT INTO message_rcpt VALUES (?,?,?)", (mid, i, d))
    for i, (d, s, r, a, h) in enumerate(dkim):
        db.execute("INSERT INTO message_dkim VALUES (?,?,?,?,?,?,?)",
                   (mid, i, d, s, r, a, h))
    for i, (r, c) in enumerate(overrides):
        db.execute("INSERT INTO message_override VALUES (?,?,?,?)",
                   (mid, i, r, c))
    return mid
