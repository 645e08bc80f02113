#!/usr/bin/python3
"""migrate_pg.t - the checks of history/migrate.c (t/unit/migrate.t) and
history/failstore.c (t/unit/failstore.t) against a real PostgreSQL: a
private server started here (t/lib/pgserver.py), then destroyed.  Each unit
test program runs its SQLite checks and then, with DW_TEST_PG_URI set, the
PostgreSQL ones: create, upgrade from the previous version, hostile
databases, several processes creating the schema of an empty database at
once (pg_advisory_xact_lock); failure samples read, marked, instance tag.
Their TAP output is passed through, so every check is counted here."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import harness  # noqa: E402,F401  (cleanup on signals)
import pgserver  # noqa: E402
import tap  # noqa: E402

UNITS = [os.path.join(HERE, '..', 'unit', u)
         for u in ('migrate.t', 'failstore.t')]
for unit in UNITS:
    if not os.access(unit, os.X_OK):
        tap.skip_all('%s not built (make unit-tests)' % unit)
pg = pgserver.start('migrate')
if pg is None:
    tap.skip_all('no PostgreSQL: %s' % pgserver.last_error)

env = dict(os.environ, DW_TEST_PG_URI=pg.uri)
for unit in UNITS:
    name = os.path.basename(unit)
    run = subprocess.run([unit], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, timeout=120)
    n = 0
    for line in run.stdout.splitlines():
        if line.startswith('ok ') or line.startswith('not ok '):
            desc = line.split(' - ', 1)[1] if ' - ' in line else line
            tap.ok(line.startswith('ok '), '%s: %s' % (name, desc))
            n += 1 if 'PostgreSQL' in desc else 0
        elif line.startswith('#'):
            tap.diag(line[1:].strip())
    for line in run.stderr.splitlines():
        tap.diag(line)
    tap.ok(run.returncode == 0, '%s passed (exit %d)' % (name,
                                                        run.returncode))
    tap.ok(n >= 10, '%s: the PostgreSQL checks ran (%d)' % (name, n))
pg.destroy()
tap.done_testing()
