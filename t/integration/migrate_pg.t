#!/usr/bin/python3
"""migrate_pg.t - history/migrate.c's checks (t/unit/migrate.t) against a
real PostgreSQL: a private server started here (t/lib/pgserver.py), then
destroyed.  The unit test program runs its SQLite checks and then, with
DW_TEST_PG_URI set, the PostgreSQL ones: create, upgrade from the previous
version, hostile databases, and several processes creating the schema of
an empty database at once (pg_advisory_xact_lock).  Its TAP output is
passed through, so every check is counted here."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import harness  # noqa: E402,F401  (cleanup on signals)
import pgserver  # noqa: E402
import tap  # noqa: E402

UNIT = os.path.join(HERE, '..', 'unit', 'migrate.t')
if not os.access(UNIT, os.X_OK):
    tap.skip_all('t/unit/migrate.t not built (make unit-tests)')
pg = pgserver.start('migrate')
if pg is None:
    tap.skip_all('no PostgreSQL: %s' % pgserver.last_error)

env = dict(os.environ, DW_TEST_PG_URI=pg.uri)
run = subprocess.run([UNIT], env=env, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True, timeout=120)
pg.destroy()

n = 0
for line in run.stdout.splitlines():
    if line.startswith('ok ') or line.startswith('not ok '):
        desc = line.split(' - ', 1)[1] if ' - ' in line else line
        tap.ok(line.startswith('ok '), desc)
        n += 1 if 'PostgreSQL' in desc else 0
    elif line.startswith('#'):
        tap.diag(line[1:].strip())
for line in run.stderr.splitlines():
    tap.diag(line)
tap.ok(run.returncode == 0, 'migrate.t passed (exit %d)' % run.returncode)
tap.ok(n >= 20, 'the PostgreSQL checks ran (%d)' % n)
tap.done_testing()
