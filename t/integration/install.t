#!/usr/bin/python3
"""install.t - `make install` lays out what the README says, and the
systemd units it installs are clean.

  DESTDIR install: daemons in sbin, dmarcwarden-policy in bin with its
  man page in section 1, sample config under --sysconfdir, the state
  directory and the socket directory in Postfix's spool 0750 (owned by
  dmarcwarden, the socket directory's group postfix, when that user
  exists and we are root), units with configure's paths; every program's
  default configuration file is the one under --sysconfdir.
  Install with PREFIX etc. in a temp directory (so the units name
  programs that exist): `systemd-analyze verify` is clean for both
  services and the timer (man pages found through MANPATH), and
  `systemd-analyze security` rates the milter's sandbox below 4.0."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import harness  # noqa: E402
import tap  # noqa: E402

harness.require_daemon()
ROOT = harness.ROOT


def make_install(*args):
    return subprocess.run(["make", "-s", "-C", ROOT, "install"] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=300)


V = harness.make_vars()
prefix, sysconf = V["PREFIX"], V["SYSCONFDIR"]
mandir, unitdir = V["MANDIR"], V["SYSTEMDUNITDIR"]
dbdir = V["LOCALSTATEDIR"] + "/lib/dmarcwarden"
tmp = tempfile.mkdtemp(prefix="dw-install-")
harness.at_cleanup(lambda: shutil.rmtree(tmp, ignore_errors=True))

dest = os.path.join(tmp, "dest")
res = make_install("DESTDIR=" + dest)
tap.is_(res.returncode, 0, "make install DESTDIR=... succeeds")
if res.returncode:
    tap.diag(res.stdout[-2000:])


def D(path):
    return dest + path


for path, what in ((prefix + "/sbin/dmarcwarden", "the milter in sbin"),
                   (prefix + "/sbin/dmarcwarden-report", "the reporter in sbin"),
                   (prefix + "/bin/dmarcwarden-policy",
                    "the domain owner's tool in bin")):
    tap.ok(os.access(D(path), os.X_OK), "%s: %s" % (what, path))
tap.ok(os.path.exists(D(mandir + "/man1/dmarcwarden-policy.1")),
       "dmarcwarden-policy(1) in man1")
tap.ok(os.path.exists(D(mandir + "/man8/dmarcwarden.8")) and
       os.path.exists(D(mandir + "/man5/dmarcwarden.conf.5")),
       "dmarcwarden(8), dmarcwarden.conf(5)")
tap.ok(os.path.exists(D(sysconf + "/dmarcwarden/dmarcwarden.conf.sample")),
       "sample configuration under --sysconfdir")

sockdir = D(V.get("POSTFIX_SPOOL", "/var/spool/postfix") + "/dmarcwarden")
for path, what in ((D(dbdir), "state directory"), (sockdir,
                   "socket directory in Postfix's spool")):
    st = os.stat(path) if os.path.isdir(path) else None
    tap.is_(st.st_mode & 0o777 if st else None, 0o750, "%s %s is 0750"
            % (what, path))
try:
    import grp
    import pwd
    dw = pwd.getpwnam("dmarcwarden")
    pfg = grp.getgrnam("postfix")
except KeyError:
    dw = None
if dw is None or os.geteuid() != 0:
    tap.skip("no dmarcwarden user or not root: ownership not set", 2)
else:
    st = os.stat(D(dbdir))
    tap.is_(st.st_uid, dw.pw_uid, "state directory owned by dmarcwarden")
    st = os.stat(sockdir)
    tap.is_((st.st_uid, st.st_gid), (dw.pw_uid, pfg.gr_gid),
            "socket directory owned by dmarcwarden:postfix")

with open(D(unitdir + "/dmarcwarden.service")) as fp:
    unit = fp.read()
conf = sysconf + "/dmarcwarden/dmarcwarden.conf"
tap.like(unit, r"(?m)^ExecStart=%s -f -c %s$" % (
    re.escape(prefix + "/sbin/dmarcwarden"), re.escape(conf)),
    "unit names configure's paths")
for key in ("User=dmarcwarden", "ExecReload=/bin/kill -HUP $MAINPID",
            "RuntimeDirectory=dmarcwarden", "RuntimeDirectoryMode=0750"):
    tap.like(unit, r"(?m)^%s$" % re.escape(key), "unit has " + key)

# Every program's default configuration is configure's.
for prog, args in (("sbin/dmarcwarden", ["-h"]),
                   ("sbin/dmarcwarden-report", ["--help"])):
    res = subprocess.run([D(prefix + "/" + prog)] + args, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    tap.like(res.stdout, re.escape(conf), "%s's default config is %s"
             % (prog, conf))

# systemd: units that name programs and man pages that exist.
if shutil.which("systemd-analyze") is None:
    tap.skip("systemd-analyze not installed", 3)
    tap.done_testing()
    sys.exit(0)
t = os.path.join(tmp, "p")
res = make_install("PREFIX=%s/usr" % t, "SYSCONFDIR=%s/etc" % t,
                   "MANDIR=%s/usr/share/man" % t, "SYSTEMDUNITDIR=%s/units" % t,
                   "LOCALSTATEDIR=%s/var" % t, "POSTFIX_SPOOL=%s/spool" % t)
units = [os.path.join(t, "units", u) for u in (
    "dmarcwarden.service", "dmarcwarden-report.service",
    "dmarcwarden-report.timer")]
env = dict(os.environ, MANPATH=t + "/usr/share/man", SYSTEMD_PAGER="",
           SYSTEMD_COLORS="0")
res = subprocess.run(["systemd-analyze", "verify"] + units, env=env,
                     text=True, stdout=subprocess.PIPE,
                     stderr=subprocess.STDOUT, timeout=60)
tap.is_((res.returncode, res.stdout.strip()), (0, ""),
        "systemd-analyze verify: both services and the timer are clean")
res = subprocess.run(["systemd-analyze", "security", "--offline=true",
                      units[0]], env=env, text=True, stdout=subprocess.PIPE,
                     stderr=subprocess.STDOUT, timeout=60)
m = re.search(r"Overall exposure level for \S+: ([\d.]+)", res.stdout)
level = float(m.group(1)) if m else 10.0
tap.ok(level < 4.0, "systemd-analyze security: exposure %.1f < 4.0" % level)
tap.done_testing()
