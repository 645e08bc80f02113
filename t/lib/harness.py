"""harness - run the real dmarcwarden daemon (and its test DNS) for tests.

SYNOPSIS
    import harness, tap
    out = harness.outdir("mytest")             # fresh t/out/mytest/
    dns = harness.start_dns(zone_text)         # TestDNS or None (skip)
    d = harness.Daemon(out, {"AuthservID": "mx.test.local",
                             "HistoryDB": out + "/history.db"}, dns=dns)
    d.start()                                  # raises DaemonError on failure
    r = milterclient.send_message(d.socket_spec, ...)
    d.reload(); d.stop(); d.stderr_text()
    harness.require_daemon()                   # tap.skip_all when not built
    harness.asan_build()                       # built with --enable-asan?

DESCRIPTION
    outdir(name) empties and creates ROOT/t/out/NAME (gitignored) and
    returns its absolute path.

    write_config(path, dict) writes one "Key value" line per entry, keys as
    in conf/config.h comments; None values are left out, True/False
    become on/off, lists are joined with ", ".  Daemon() adds "Socket" (the
    socket it passes with -p anyway), "AuthservID mx.test.local",
    "HistoryDB OUT/NAME.history.db" (never the system path) and, when a
    TestDNS is given, "Nameservers 127.0.0.1@PORT"; entries in the dict
    override these (None removes one).

    libmilter daemons may linger up to ~5 s after SIGTERM; stop(grace)
    then SIGKILLs the group and returns -9.

    Daemon.start() runs ROOT/milter/dmarcwarden -c CONF -f -p unix:SOCK
    (extra_args appended) in its own process group with stderr (and
    stdout) going to OUT/daemon.stderr, then waits until the socket accepts
    connections.  If the process exits first, DaemonError carries its
    stderr.  Every started daemon is stopped by stop(), by cleanup_all(),
    at interpreter exit, and on SIGTERM/SIGINT/SIGHUP to the test script:
    SIGTERM, then SIGKILL to the whole process group after a grace period.

    The socket lives in OUT unless that path is too long for sun_path, in
    which case a short directory under /tmp is used.

    start_dns(zone_text) imports t/lib/testdns.py (the shared test DNS
    server) and starts it; returns None when it is missing or fails, so
    callers can tap.skip_all with a reason (the exception text is in
    harness.last_dns_error).
"""

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

LIB = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(LIB))
DAEMON = os.path.join(ROOT, "milter", "dmarcwarden")
last_dns_error = None

_cleanups = []
_handlers_installed = False


class DaemonError(Exception):
    pass


def outdir(name):
    path = os.path.join(ROOT, "t", "out", name)
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, exist_ok=True)
    return path


# ------------------------------------------------------------ cleanup
def _run_cleanups():
    while _cleanups:
        func = _cleanups.pop()
        try:
            func()
        except Exception as exc:  # keep cleaning up the rest
            sys.stderr.write("# cleanup error: %s\n" % exc)


def _on_signal(signum, _frame):
    _run_cleanups()
    os._exit(128 + signum)


def at_cleanup(func):
    """Run func at exit or on a fatal signal (last registered, first run)."""
    global _handlers_installed
    _cleanups.append(func)
    if not _handlers_installed:
        _handlers_installed = True
        atexit.register(_run_cleanups)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            try:
                signal.signal(sig, _on_signal)
            except (ValueError, OSError):
                pass  # not the main thread


def cleanup_all():
    _run_cleanups()


def stop_process(proc, grace=5.0, sig=signal.SIGTERM):
    """Stop a Popen started with start_new_session=True (or not): signal,
    wait up to grace seconds, then SIGKILL its process group."""
    if proc is None or proc.poll() is not None:
        return proc.returncode if proc is not None else None
    try:
        proc.send_signal(sig)
    except OSError:
        pass
    try:
        return proc.wait(grace)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        try:
            proc.kill()
        except OSError:
            pass
    return proc.wait(5)


def wait_for_socket(path_or_addr, timeout=10.0, proc=None):
    """Wait until a unix socket path (str) or (host, port) accepts a
    connection.  Raises DaemonError on timeout or when proc exits."""
    deadline = time.time() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise DaemonError("process exited with status %s before "
                              "listening" % proc.returncode)
        fam = socket.AF_UNIX if isinstance(path_or_addr, str) else socket.AF_INET
        sock = socket.socket(fam, socket.SOCK_STREAM)
        try:
            sock.settimeout(1)
            sock.connect(path_or_addr)
            return True
        except OSError:
            pass
        finally:
            sock.close()
        if time.time() > deadline:
            raise DaemonError("no listener on %r after %.0fs"
                              % (path_or_addr, timeout))
        time.sleep(0.05)


def free_port(host="127.0.0.1"):
    """A TCP port that was free a moment ago."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((host, 0))
        return sock.getsockname()[1]
    finally:
        sock.close()


# ------------------------------------------------------------- config
def _config_value(value):
    if value is True:
        return "on"
    if value is False:
        return "off"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def write_config(path, settings):
    lines = ["# written by t/lib/harness.py"]
    for key, value in settings.items():
        if value is None:
            continue
        text = _config_value(value)
        if "\n" in text:
            raise ValueError("newline in config value for %s" % key)
        lines.append(("%s %s" % (key, text)).rstrip())
    with open(path, "w") as fp:
        fp.write("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------- DNS
def start_dns(zone_text=""):
    """Start t/lib/testdns.py's TestDNS; return it (with .port) or None."""
    global last_dns_error
    if LIB not in sys.path:
        sys.path.insert(0, LIB)
    try:
        import testdns
        dns = testdns.TestDNS(zone_text)
        port = dns.start()
    except Exception as exc:  # missing module, dnslib, bind failure
        last_dns_error = "%s: %s" % (type(exc).__name__, exc)
        return None
    if not getattr(dns, "port", None):
        dns.port = port
    at_cleanup(lambda: _stop_quietly(dns))
    return dns


def _stop_quietly(obj):
    try:
        obj.stop()
    except Exception:
        pass


# ------------------------------------------------------------- daemon
def daemon_path():
    return os.environ.get("DMARCWARDEN", DAEMON)


def make_vars():
    """The variables configure wrote at the top of ROOT/Makefile (PREFIX,
    SYSCONFDIR, ...), as a dict: where make install puts things."""
    out = {}
    with open(os.path.join(ROOT, "Makefile")) as fp:
        for line in fp:
            m = re.match(r"^([A-Z_]+) = (.*)$", line.rstrip("\n"))
            if m and m.group(1) not in out:
                out[m.group(1)] = m.group(2).strip()
    return out


def asan_build():
    """True when ./configure --enable-asan built the tree (RSS checks
    are meaningless there: shadow memory, quarantine)."""
    try:
        with open(os.path.join(ROOT, "Makefile")) as f:
            return re.search(r"^ASAN = yes", f.read(), re.M) is not None
    except OSError:
        return False


def require_daemon():
    """tap.skip_all unless milter/dmarcwarden is built."""
    if not os.access(daemon_path(), os.X_OK):
        import tap
        tap.skip_all("%s not built" % daemon_path())


class Daemon(object):
    def __init__(self, out, config=None, dns=None, binary=None,
                 extra_args=(), name="dmarcwarden"):
        self.out = out
        self.binary = binary or daemon_path()
        self.extra_args = list(extra_args)
        self.name = name
        sock = os.path.join(out, name + ".sock")
        if len(sock.encode()) > 100:
            sock = os.path.join(tempfile.mkdtemp(prefix="dw-"), "s.sock")
        self.socket_path = sock
        self.socket_spec = "unix:" + sock
        self.conf_path = os.path.join(out, name + ".conf")
        self.stderr_path = os.path.join(out, name + ".stderr")
        # Tests run as root without UserID, which the daemon refuses
        # unless told (RunAsRoot).
        self.settings = {"Socket": self.socket_spec, "RunAsRoot": "yes",
                         "AuthservID": "mx.test.local",
                         "HistoryDB": os.path.join(out, name + ".history.db")}
        if dns is not None:
            self.settings["Nameservers"] = "127.0.0.1@%d" % dns.port
        self.settings.update(config or {})
        self.proc = None

    def command(self):
        return [self.binary, "-c", self.conf_path, "-f",
                "-p", self.socket_spec] + self.extra_args

    def start(self, timeout=10.0):
        if self.proc is not None and self.proc.poll() is None:
            raise DaemonError("already running")
        write_config(self.conf_path, self.settings)
        if os.path.exists(self.socket_path):
            os.unlink(self.socket_path)
        err = open(self.stderr_path, "ab")
        try:
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                         stdout=err, stderr=err,
                                         start_new_session=True)
        finally:
            err.close()
        at_cleanup(self.stop)
        try:
            wait_for_socket(self.socket_path, timeout, self.proc)
        except DaemonError as exc:
            self.stop()
            raise DaemonError("%s\n--- %s ---\n%s" % (exc, self.stderr_path,
                                                     self.stderr_text()))
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def pid(self):
        return self.proc.pid if self.proc else None

    def reload(self):
        self.proc.send_signal(signal.SIGHUP)

    def stop(self, grace=12.0):
        """SIGTERM, wait, SIGKILL the group; returns the exit status.
        libmilter notices a stop request only every 5 seconds
        (MI_CHK_TIME), so the grace period must be longer than that."""
        if self.proc is None:
            return None
        status = stop_process(self.proc, grace)
        return status

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as fp:
                return fp.read().decode("utf-8", "replace")
        except OSError:
            return ""
