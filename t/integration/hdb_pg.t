#!/usr/bin/python3
"""hdb_pg.t - history/hdb.c's checks (t/unit/hdb.t) against a real
PostgreSQL: a private server started here (t/lib/pgserver.py) on a unix
socket in its own directory, then stopped.  The unit test program runs
its SQLite checks and then, with DW_TEST_PG_URI set, the same checks on
the server; with DW_TEST_PG_DOWN_URI (the same server's socket after the
server is stopped, with a password in the URI) opening must fail as
"unavailable", without the password in the message.  Its TAP output is
passed through, so every check is counted here."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import harness  # noqa: E402,F401  (cleanup on signals)
import pgserver  # noqa: E402
import tap  # noqa: E402

UNIT = os.path.join(HERE, '..', 'unit', 'hdb.t')
if not os.access(UNIT, os.X_OK):
    tap.skip_all('t/unit/hdb.t not built (make unit-tests)')
pg = pgserver.start('hdb')
if pg is None:
    tap.skip_all('no PostgreSQL: %s' % pgserver.last_error)

env = dict(os.environ, DW_TEST_PG_URI=pg.uri)
up = subprocess.run([UNIT], env=env, stdout=subprocess.PIPE, text=True,
                    timeout=300)
pg.stop()
down = pg.uri.replace('dmarcwarden@', 'dmarcwarden:s3cret@')
env = dict(os.environ, DW_TEST_PG_DOWN_URI=down)
dn = subprocess.run([UNIT], env=env, stdout=subprocess.PIPE, text=True,
                    timeout=300)
pg.destroy()


def relay(out, tag):
    """Re-emit the program's checks as ours (plans dropped)."""
    n = 0
    for line in out.splitlines():
        if line.startswith('ok ') or line.startswith('not ok '):
            good = line.startswith('ok ')
            desc = line.split(' - ', 1)[1] if ' - ' in line else line
            tap.ok(good, '%s: %s' % (tag, desc))
            n += 1
        elif line.startswith('#'):
            tap.diag(line[1:].strip())
    return n


n_up = relay(up.stdout, 'server up')
tap.ok(up.returncode == 0, 'hdb.t passed with the server up (exit %d)'
       % up.returncode)
tap.ok(sum('PostgreSQL' in line for line in up.stdout.splitlines()) >= 20,
       'the PostgreSQL checks ran (%d checks in all)' % n_up)
relay(dn.stdout, 'server down')
tap.ok(dn.returncode == 0 and 'PostgreSQL down: unavailable' in dn.stdout,
       'hdb.t passed with the server down (exit %d)' % dn.returncode)
tap.done_testing()
