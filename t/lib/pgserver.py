"""pgserver - a private PostgreSQL server for tests and benchmarks.

SYNOPSIS
    import pgserver
    pg = pgserver.start(tag="mytest")      # None: see pgserver.last_error
    pg.uri        # postgresql://dmarcwarden@/dmarcwarden?host=DIR&port=N
    pg.psql("SELECT count(*) FROM messages")   # -> "42" (stripped stdout)
    pg.stop()                              # fast shutdown (mode="immediate":
                                           # a crash, as kill -9 would be)
    pg.restart()                           # same data, same socket
    pg.destroy()                           # stop and remove everything

DESCRIPTION
    start() runs Debian's PostgreSQL (the newest /usr/lib/postgresql/*/bin)
    with initdb in a fresh directory under /tmp (/tmp/dwpg-TAG-XXXX), with
    trust authentication, listening on a unix socket in that directory
    only (listen_addresses '', so nothing but this machine's processes
    reach it) unless tcp=True, which adds 127.0.0.1 on a free port.  The
    port number names the socket (.s.PGSQL.PORT) in every case.  It
    creates the role "dmarcwarden" (superuser, so tests can also inspect
    and break things) and the database "dmarcwarden", owned by it.

    PostgreSQL refuses to run as root: when the test runs as root, the
    server runs as the "postgres" user Debian's package creates (runuser),
    and the directory is given to that user.  The socket is mode 0777 so
    that any test process (the daemon as root or its UserID) can connect.

    durable=False (the default for tests) turns off fsync,
    synchronous_commit and full_page_writes: a clean stop still keeps
    every committed row, and the tests run faster.  Benchmarks pass
    durable=True to measure what a real server does.

    Every started server is stopped at interpreter exit and on
    SIGTERM/SIGINT of the test (through harness.cleanup_all when harness
    is imported, and atexit here).  The directory is removed by destroy()
    or at exit unless PGSERVER_KEEP=1 is set in the environment.

    tcp_uri is the same database over TCP (tcp=True only).
"""

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

last_error = ""
_servers = []


def _bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                  key=lambda d: int(d.split("/")[-2]))
    for d in reversed(dirs):
        if os.access(os.path.join(d, "postgres"), os.X_OK):
            return d
    return None


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PgServer:
    def __init__(self, bindir, base, port, tcp, durable):
        self.bindir = bindir
        self.base = base
        self.data = os.path.join(base, "data")
        self.sockdir = base
        self.port = port
        self.tcp = tcp
        self.durable = durable
        self.log = os.path.join(base, "server.log")
        self.as_user = None
        if os.geteuid() == 0:
            self.as_user = "postgres"
        self.uri = ("postgresql://dmarcwarden@/dmarcwarden?host=%s&port=%d"
                    % (self.sockdir, port))
        self.tcp_uri = ("postgresql://dmarcwarden@127.0.0.1:%d/dmarcwarden"
                        % port) if tcp else None
        self.running = False

    def _run(self, argv, check=True, timeout=120, **kw):
        if self.as_user:
            argv = ["runuser", "-u", self.as_user, "--"] + argv
        r = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True,
                           timeout=timeout, **kw)
        if check and r.returncode != 0:
            raise RuntimeError("%s: exit %d: %s" % (argv[0] if not
                               self.as_user else argv[3], r.returncode,
                               r.stdout.strip()[-2000:]))
        return r

    def _bin(self, name):
        return os.path.join(self.bindir, name)

    def init(self):
        self._run([self._bin("initdb"), "-D", self.data, "-A", "trust",
                   "-U", "postgres", "-E", "UTF8", "--no-locale"])
        conf = [
            "listen_addresses = '%s'" % ("127.0.0.1" if self.tcp else ""),
            "port = %d" % self.port,
            "unix_socket_directories = '%s'" % self.sockdir,
            "unix_socket_permissions = 0777",
            "max_connections = 200",
            "shared_buffers = 128MB",
            "logging_collector = off",
            "log_min_messages = warning",
        ]
        if not self.durable:
            conf += ["fsync = off", "synchronous_commit = off",
                     "full_page_writes = off"]
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\n# pgserver.py\n" + "\n".join(conf) + "\n")

    def start(self):
        self._run([self._bin("pg_ctl"), "-D", self.data, "-l", self.log,
                   "-w", "-t", "60", "start"])
        self.running = True

    def stop(self, mode="fast"):
        if not self.running:
            return
        self._run([self._bin("pg_ctl"), "-D", self.data, "-m", mode, "-w",
                   "-t", "60", "stop"], check=False)
        self.running = False

    def restart(self):
        self.stop()
        self.start()

    def psql(self, sql, db="dmarcwarden", user="dmarcwarden"):
        """Run sql with psql (unaligned, tuples only); stripped stdout."""
        r = subprocess.run([self._bin("psql"), "-X", "-q", "-A", "-t",
                            "-v", "ON_ERROR_STOP=1", "-h", self.sockdir,
                            "-p", str(self.port), "-U", user, "-d", db,
                            "-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError("psql: %s" % r.stderr.strip())
        return r.stdout.strip()

    def server_log(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def destroy(self):
        self.stop("immediate")
        if os.environ.get("PGSERVER_KEEP") != "1":
            shutil.rmtree(self.base, ignore_errors=True)
        if self in _servers:
            _servers.remove(self)


def start(tag="test", tcp=False, durable=False):
    """A running private server, or None (last_error says why)."""
    global last_error
    bindir = _bindir()
    if bindir is None:
        last_error = "PostgreSQL server not installed (postgresql package)"
        return None
    base = tempfile.mkdtemp(prefix="dwpg-%s-" % tag, dir="/tmp")
    os.chmod(base, 0o755)
    srv = PgServer(bindir, base, _free_port(), tcp, durable)
    try:
        if srv.as_user:
            pw = pwd.getpwnam(srv.as_user)
            os.chown(base, pw.pw_uid, pw.pw_gid)
        srv.init()
        srv.start()
        _servers.append(srv)
        srv.psql("CREATE ROLE dmarcwarden LOGIN SUPERUSER", db="postgres",
                 user="postgres")
        srv.psql("CREATE DATABASE dmarcwarden OWNER dmarcwarden",
                 db="postgres", user="postgres")
    except (OSError, RuntimeError, KeyError,
            subprocess.TimeoutExpired) as e:
        last_error = "%s (log: %s)" % (e, srv.server_log()[-1000:])
        srv.destroy()
        return None
    return srv


def wait_ready(srv, timeout=30):
    """Wait until the server accepts connections; True when it does."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            srv.psql("SELECT 1")
            return True
        except RuntimeError:
            time.sleep(0.2)
    return False


def cleanup_all():
    for s in list(_servers):
        s.destroy()


try:  # the harness also runs cleanups on SIGTERM/SIGINT/SIGHUP
    import harness
    harness.at_cleanup(cleanup_all)
except ImportError:
    atexit.register(cleanup_all)
