"""histdb - history databases for tests, at any schema version, in SQLite
or PostgreSQL, built from the DDL the code itself uses.

SYNOPSIS
    import histdb
    histdb.header_sql('schema_pg.h', 'HISTORY_PG_BASE_SQL')  # DDL text
    histdb.current_version()                       # HISTORY_SCHEMA_VERSION
    con = histdb.sqlite_at(path, 2)    # t/data/history/schema-v2.sql
    histdb.pg_create(pg, version=3)    # base DDL (3) or the current one
    histdb.pg_copy(sqlite_path, pg)    # rows of an SQLite history into pg
    histdb.pg_version(pg)              # meta schema_version, int

DESCRIPTION
    header_sql() joins the string literals of a macro of history/<header>
    and expands the *_SQL macros it names (so tests follow the real DDL).
    sqlite_at() creates a fresh SQLite file with the DDL an older release
    created (fixtures t/data/history/schema-vN.sql, N < current) or the
    current DDL, meta and user_version set; it returns the connection.
    pg_create() drops the history tables of the private server pg
    (t/lib/pgserver.py) and creates version 3 (HISTORY_PG_BASE_SQL) or
    the current schema (HISTORY_PG_SCHEMA_SQL), meta set.  pg_copy()
    copies every history table's rows (columns both sides have) and
    moves the identity sequences past the copied ids.
"""

import os
import re
import sqlite3

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TABLES = ('meta', 'messages', 'message_rcpt', 'message_dkim',
          'message_override', 'report_log', 'report_dest', 'failure_samples')


def _macros(header):
    with open(os.path.join(ROOT, 'history', header), encoding='utf-8') as f:
        text = f.read()
    macros = {}
    for m in re.finditer(r'#define (\w+)((?:[^\n]*\\\n)*[^\n]*)', text):
        macros[m.group(1)] = m.group(2)
    return macros


def header_sql(header, name):
    macros = _macros(header)

    def expand(n):
        out = []
        for tok in re.finditer(r'"((?:[^"\\]|\\.)*)"|(\b[A-Z_0-9]+\b)',
                               macros[n]):
            if tok.group(1) is not None:
                out.append(tok.group(1).encode().decode('unicode_escape'))
            elif tok.group(2) in macros:
                out.append(expand(tok.group(2)))
        return ''.join(out)
    return expand(name)


def current_version():
    return int(_macros('schema.h')['HISTORY_SCHEMA_VERSION'])


def sqlite_at(path, version):
    for p in (path, path + '-wal', path + '-shm'):
        if os.path.exists(p):
            os.unlink(p)
    con = sqlite3.connect(path)
    if version == current_version():
        con.executescript(header_sql('schema.h', 'HISTORY_SCHEMA_SQL'))
        con.execute("INSERT INTO meta VALUES ('schema_version', ?),"
                    " ('created', '1700000000')", (str(version),))
        con.execute('PRAGMA user_version = %d' % version)
    else:
        with open(os.path.join(ROOT, 't', 'data', 'history',
                               'schema-v%d.sql' % version)) as f:
            con.executescript(f.read())
    con.commit()
    return con


def pg_create(pg, version=None):
    pg.psql('DROP TABLE IF EXISTS %s CASCADE' % ', '.join(TABLES))
    if version is None:
        version = current_version()
    name = 'HISTORY_PG_BASE_SQL' if version == 3 else 'HISTORY_PG_SCHEMA_SQL'
    pg.psql(header_sql('schema_pg.h', name) +
            "INSERT INTO meta VALUES ('schema_version', '%d'),"
            " ('created', '1700000000')" % version)


def pg_version(pg):
    return int(pg.psql("SELECT value FROM meta WHERE key ="
                       " 'schema_version'"))


def _lit(v):
    if v is None:
        return 'NULL'
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def _pg_columns(pg, table):
    out = pg.psql("SELECT column_name FROM information_schema.columns"
                  " WHERE table_schema = current_schema() AND table_name"
                  " = '%s'" % table)
    return set(out.split('\n')) if out else set()


def pg_copy(sqlite_path, pg, chunk=200):
    con = sqlite3.connect(sqlite_path)
    for table in TABLES:
        if table == 'meta':
            continue
        mine = [r[1] for r in con.execute('PRAGMA table_info(%s)' % table)]
        cols = [c for c in mine if c in _pg_columns(pg, table)]
        if not cols:
            continue
        rows = con.execute('SELECT %s FROM %s' % (
            ', '.join('"%s"' % c for c in cols), table)).fetchall()
        for i in range(0, len(rows), chunk):
            pg.psql('INSERT INTO %s (%s) VALUES %s' % (
                table, ', '.join('"%s"' % c for c in cols),
                ', '.join('(' + ', '.join(_lit(v) for v in r) + ')'
                          for r in rows[i:i + chunk])))
    for table in ('messages', 'failure_samples'):
        pg.psql("SELECT setval(pg_get_serial_sequence('%s', 'id'),"
                " coalesce(max(id), 0) + 1, false) FROM %s" % (table, table))
    con.close()
