"""postfix - a private, throw-away Postfix instance for end-to-end tests.

SYNOPSIS
    from postfix import PrivatePostfix, PostfixUnavailable
    try:
        pf = PrivatePostfix(domains=["test.local"],
                            milters="unix:/path/sock").start()
    except PostfixUnavailable as exc:
        tap.skip_all(str(exc))
    code, text = pf.smtp_send("a@example.com", ["bob@test.local"], raw,
                              helo="client.example.com")
    path = pf.wait_delivered(queue_id_or_None, timeout=10)
    pf.hold_queue_ids(); pf.held_message(qid); pf.log_text(); pf.stop()
    user = ensure_daemon_user()     # README's adduser, when missing

DESCRIPTION
    Everything lives under one base directory (default: a new
    /tmp/dw-postfix-XXXXXX, because the queue must be reachable by the
    postfix user): config/ (main.cf, master.cf), queue/, data/,
    mail/ (deliveries), maillog (maillog_file via postlogd).  The instance
    shares nothing with a system Postfix: its own config, queue, data and
    pid directories, and its smtpd listens only on 127.0.0.1:PORT (a free
    high port, never 25).  No other inet service is configured.  Each
    smtpd process serves one connection (max_use=1), so main.cf changes
    made with set_main() apply to the next SMTP connection.

    Milter endpoints in Postfix syntax: unix:/path or inet:127.0.0.1:PORT.
    smtpd runs as the postfix user, so a unix milter socket must be
    writable by it (or use inet).  queue_dir= puts the queue elsewhere
    (e.g. ROOT/var/spool/postfix of an installed tree); chroot_smtpd=True
    runs smtpd chrooted there as Debian does, so unix milter paths are
    relative to it (unix:/dmarcwarden/dmarcwarden.sock).

    The master runs in the foreground ("master -d -c DIR") as a child in
    its own process group, so stop() (also run at exit and on fatal
    signals through harness.at_cleanup) can always kill every Postfix
    process of the instance, even when "postfix stop" fails.

    Recipients in the configured domains (mydestination) are accepted for
    any local part and delivered by a pipe(8) transport, one file per
    recipient: mail/QUEUEID.RCPT (written as "nobody", renamed into place
    when complete).  Other domains get "554 5.7.1 Relay access denied"
    (no client is in mynetworks).  smtpd_milters is the milters argument,
    with milter_default_action=tempfail and milter_protocol=6.

    smtp_send() returns (code, text) of the final reply of the transaction:
    the first failing RCPT when all are refused, MAIL's failure, or the
    reply to the end of DATA; the queue id is parsed from "queued as ID"
    into self.last_queue_id.

DIAGNOSTICS
    PostfixUnavailable when not root, Postfix is not installed, or the
    instance does not come up; its text says why (with the log tail).
"""

import os
import pwd
import re
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

POSTCONF = "/usr/sbin/postconf"
POSTFIX = "/usr/sbin/postfix"
POSTCAT = "/usr/sbin/postcat"


class PostfixUnavailable(Exception):
    pass


DELIVER_SH = """#!/bin/sh
# deliver DIR QUEUEID RECIPIENT: one file per recipient, atomically.
umask 022
tmp="$1/.tmp.$2.$$"
cat > "$tmp" || exit 75
mv "$tmp" "$1/$2.$3" || exit 75
exit 0
"""

MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command + args
{listen} inet n - {chroot} - - smtpd
  -o max_use=1
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
deliver   unix  -       n       n       -       -       pipe
  user=nobody argv={deliver} {maildir} ${{queue_id}} ${{recipient}}
"""


def ensure_daemon_user():
    """The dmarcwarden system user, created as README's installation
    step 1 does when it is missing (root only); returns its pwd entry."""
    try:
        return pwd.getpwnam("dmarcwarden")
    except KeyError:
        subprocess.run(["adduser", "--quiet", "--system", "--group",
                        "--home", "/var/lib/dmarcwarden", "--no-create-home",
                        "dmarcwarden"], check=True, capture_output=True)
        return pwd.getpwnam("dmarcwarden")


def _is_root():
    return os.geteuid() == 0


class PrivatePostfix(object):
    def __init__(self, domains=("test.local",), milters="", base=None,
                 port=None, hostname="mx.test.local", extra_main=None,
                 queue_dir=None, chroot_smtpd=False):
        self.domains = list(domains)
        self.milters = milters or ""
        self.hostname = hostname
        self.port = port
        self.extra_main = dict(extra_main or {})
        self.base = base
        self.proc = None
        self.last_queue_id = None
        self._own_base = base is None
        self._queue_dir = queue_dir
        self.chroot_smtpd = chroot_smtpd

    # ------------------------------------------------------------ setup
    def _paths(self):
        b = self.base
        self.config_dir = os.path.join(b, "config")
        self.queue_dir = self._queue_dir or os.path.join(b, "queue")
        self.data_dir = os.path.join(b, "data")
        self.mail_dir = os.path.join(b, "mail")
        self.log_path = os.path.join(b, "maillog")
        self.deliver = os.path.join(b, "deliver.sh")

    def _write_config(self):
        nobody = pwd.getpwnam("nobody")
        for d in (self.config_dir, self.queue_dir, self.data_dir, self.mail_dir):
            os.makedirs(d, exist_ok=True)
        os.chmod(self.base, 0o755)
        os.chown(self.mail_dir, nobody.pw_uid, nobody.pw_gid)
        os.chmod(self.mail_dir, 0o755)
        pf = pwd.getpwnam("postfix")
        os.chown(self.data_dir, pf.pw_uid, pf.pw_gid)
        with open(self.deliver, "w") as fp:
            fp.write(DELIVER_SH)
        os.chmod(self.deliver, 0o755)
        main = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": self.hostname,
            "mydomain": self.domains[0] if self.domains else "test.local",
            "myorigin": "$myhostname",
            "mydestination": ", ".join(self.domains),
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "192.0.2.255/32",
            "smtpd_relay_restrictions": "reject_unauth_destination",
            "smtpd_recipient_restrictions": "",
            "local_recipient_maps": "",
            "local_transport": "deliver",
            "deliver_destination_recipient_limit": "1",
            "alias_maps": "",
            "alias_database": "",
            "relayhost": "",
            "default_transport": "error:no outbound mail from the test instance",
            "smtpd_milters": self.milters,
            "non_smtpd_milters": "",
            "milter_default_action": "tempfail",
            "milter_protocol": "6",
            "milter_connect_timeout": "10s",
            "milter_command_timeout": "10s",
            "milter_content_timeout": "30s",
            "maillog_file": self.log_path,
            "maillog_file_prefixes": self.base,
            "smtputf8_enable": "no",
            "biff": "no",
            "smtpd_banner": "$myhostname ESMTP test",
            "queue_run_delay": "10s",
            "minimal_backoff_time": "10s",
            "delay_warning_time": "0",
            "smtpd_tls_security_level": "none",
            "smtp_tls_security_level": "none",
            "import_environment": "MAIL_CONFIG MAIL_DEBUG TZ",
            "shlib_directory": "/usr/lib/postfix",
            "meta_directory": "/etc/postfix",
            "daemon_directory": "/usr/lib/postfix/sbin",
            "command_directory": "/usr/sbin",
        }
        main.update(self.extra_main)
        with open(os.path.join(self.config_dir, "main.cf"), "w") as fp:
            for key, value in main.items():
                fp.write("%s = %s\n" % (key, value))
        with open(os.path.join(self.config_dir, "master.cf"), "w") as fp:
            fp.write(MASTER_CF.format(listen="127.0.0.1:%d" % self.port,
                                      chroot="y" if self.chroot_smtpd else "n",
                                      deliver=self.deliver,
                                      maildir=self.mail_dir))

    def _run(self, args, timeout=20):
        return subprocess.run(args, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=timeout)

    def start(self, timeout=15.0):
        if not _is_root():
            raise PostfixUnavailable("not root: cannot run a private Postfix")
        for prog in (POSTCONF, POSTFIX, "/usr/lib/postfix/sbin/master"):
            if not os.access(prog, os.X_OK):
                raise PostfixUnavailable("%s not installed" % prog)
        try:
            pwd.getpwnam("postfix")
            pwd.getpwnam("nobody")
        except KeyError as exc:
            raise PostfixUnavailable("missing user: %s" % exc)
        if self.base is None:
            self.base = tempfile.mkdtemp(prefix="dw-postfix-")
        self._paths()
        if self.port is None:
            self.port = harness.free_port()
        self._write_config()
        harness.at_cleanup(self.stop)
        # Creates the queue subdirectories with the right owners/modes.
        res = self._run([POSTFIX, "-c", self.config_dir, "check"])
        if res.returncode != 0:
            raise PostfixUnavailable("postfix check failed: %s"
                                     % res.stdout.decode("utf-8", "replace"))
        env = dict(os.environ, MAIL_CONFIG=self.config_dir)
        self.proc = subprocess.Popen(
            ["/usr/lib/postfix/sbin/master", "-d", "-c", self.config_dir],
            stdin=subprocess.DEVNULL, stdout=open(self.base + "/master.out", "ab"),
            stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            harness.wait_for_socket(("127.0.0.1", self.port), timeout, self.proc)
        except harness.DaemonError as exc:
            tail = self.log_text()[-2000:]
            self.stop()
            raise PostfixUnavailable("Postfix did not start: %s\n%s"
                                     % (exc, tail))
        return self

    def set_main(self, settings, reload=False):
        """postconf -e the given main.cf settings.  smtpd settings (e.g.
        smtpd_milters) apply to the next SMTP connection without a reload
        (max_use=1); pass reload=True for settings of other daemons.  The
        first connection after a change takes ~1.5 s (long-running
        daemons notice the new main.cf)."""
        args = [POSTCONF, "-c", self.config_dir, "-e"]
        args += ["%s=%s" % (k, v) for k, v in settings.items()]
        res = self._run(args)
        if res.returncode != 0:
            raise PostfixUnavailable("postconf failed: %s"
                                     % res.stdout.decode("utf-8", "replace"))
        if reload and self.proc is not None and self.proc.poll() is None:
            self.reload()

    def reload(self, settle=0.3):
        """SIGHUP the master (like postfix reload) and give it a moment;
        new smtpd processes pick up the new main.cf."""
        mark = self.log_text().count("reload --")
        self.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.log_text().count("reload --") > mark:
                break
            time.sleep(0.05)
        time.sleep(settle)

    # ------------------------------------------------------------ SMTP
    def smtp_send(self, mailfrom, rcpts, message, helo="client.example.com",
                  timeout=30):
        """One SMTP transaction; returns (code, text) of the deciding reply."""
        if isinstance(message, str):
            message = message.encode("utf-8")
        self.last_queue_id = None
        conn = smtplib.SMTP(timeout=timeout)
        try:
            code, text = conn.connect("127.0.0.1", self.port)
            if code != 220:
                return code, _txt(text)
            code, text = conn.ehlo(helo)
            if code != 250:
                return code, _txt(text)
            code, text = conn.mail(mailfrom)
            if code != 250:
                return code, _txt(text)
            last = None
            accepted = 0
            for rcpt in rcpts:
                code, text = conn.rcpt(rcpt)
                if code in (250, 251):
                    accepted += 1
                elif last is None:
                    last = (code, _txt(text))
            if accepted == 0:
                return last if last else (554, "no recipients")
            code, text = conn.data(message)
            text = _txt(text)
            m = re.search(r"queued as ([0-9A-Za-z]+)", text)
            if m:
                self.last_queue_id = m.group(1)
            return code, text
        except smtplib.SMTPServerDisconnected as exc:
            return 421, "disconnected: %s" % exc
        finally:
            try:
                conn.quit()
            except Exception:
                conn.close()

    # ------------------------------------------------------ inspection
    def delivered(self, queue_id=None):
        """Paths of delivered files (for queue_id, or all), sorted."""
        try:
            names = os.listdir(self.mail_dir)
        except OSError:
            return []
        out = [os.path.join(self.mail_dir, n) for n in sorted(names)
               if not n.startswith(".")
               and (queue_id is None or n.startswith(queue_id + "."))]
        return out

    def wait_delivered(self, queue_id=None, count=1, timeout=10.0):
        """Wait until count files are delivered (for queue_id, or in
        total); returns their paths, or [] on timeout."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            files = self.delivered(queue_id)
            if len(files) >= count:
                return files
            time.sleep(0.1)
        return []

    def _queue_ids(self, queue):
        ids = []
        top = os.path.join(self.queue_dir, queue)
        for dirpath, _dirs, files in os.walk(top):
            ids.extend(files)
        return sorted(ids)

    def hold_queue_ids(self):
        return self._queue_ids("hold")

    def queue_ids(self, queue="active"):
        """'incoming', 'active', 'deferred', 'hold', 'corrupt'."""
        return self._queue_ids(queue)

    def held_message(self, queue_id):
        """Header and body text of a queued message (postcat -hb)."""
        res = self._run([POSTCAT, "-c", self.config_dir, "-hb", "-q", queue_id])
        return res.stdout.decode("utf-8", "replace")

    def log_text(self):
        try:
            with open(self.log_path, "rb") as fp:
                return fp.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def wait_log(self, pattern, timeout=10.0):
        """Wait for a maillog line matching pattern; return it or None."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in self.log_text().splitlines():
                if re.search(pattern, line):
                    return line
            time.sleep(0.1)
        return None

    # ----------------------------------------------------------- stop
    def stop(self, remove=None):
        """Stop every process of the instance; remove the base directory
        when we created it (remove=None) unless DW_KEEP_POSTFIX is set."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                self._run([POSTFIX, "-c", self.config_dir, "stop"], timeout=10)
            except Exception:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        self._kill_strays()
        if remove is None:
            remove = self._own_base and not os.environ.get("DW_KEEP_POSTFIX")
        if remove and self.base and os.path.isdir(self.base):
            shutil.rmtree(self.base, ignore_errors=True)

    def _kill_strays(self):
        """Kill any process still using our config directory (a daemon
        that left the process group), found through /proc, by pid."""
        if not self.base:
            return
        me = os.getpid()
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == me:
                continue
            try:
                with open("/proc/%s/environ" % pid, "rb") as fp:
                    env = fp.read()
                with open("/proc/%s/cmdline" % pid, "rb") as fp:
                    cmd = fp.read()
            except OSError:
                continue
            mine = ("MAIL_CONFIG=" + self.config_dir).encode() in env.split(b"\0")
            if mine or (self.config_dir.encode() in cmd
                        and b"postfix" in cmd):
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass


def _txt(text):
    if isinstance(text, bytes):
        return text.decode("utf-8", "replace")
    return str(text)
