#!/usr/bin/python3
"""debian.t - the Debian package's layout, unpacked into a throwaway root.

Run by contrib/build-deb (CI's package step) with DW_DEB=/path/to.deb;
without DW_DEB (make check) it skips: building the package takes minutes.

  dpkg-deb -x into a temp directory: the programs (dmarcwarden and
  dmarcwarden-report in /usr/sbin, dmarcwarden-policy in /usr/bin), the
  manual pages (dmarcwarden-policy in section 1), the units with /usr
  paths, /etc/dmarcwarden/dmarcwarden.conf a conffile with README's
  Debian settings (Socket in Postfix's chroot, UserID dmarcwarden:postfix,
  UMask 007) that the packaged daemon's -n accepts up to the parts that
  need the installed system (user, directories), the snippet in the
  docs; the maintainer scripts: postinst creates the system user and
  both directories with their owners and enables the milter unit,
  postrm removes the directories on purge; they pass sh -n."""

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

deb = os.environ.get("DW_DEB")
if not deb:
    tap.skip_all("DW_DEB not set: contrib/build-deb builds the package and "
                 "runs this test (CI's package step)")
tmp = tempfile.mkdtemp(prefix="dw-debroot-")
harness.at_cleanup(lambda: shutil.rmtree(tmp, ignore_errors=True))
root = os.path.join(tmp, "root")
ctl = os.path.join(tmp, "DEBIAN")
for args in (["-x", deb, root], ["-e", deb, ctl]):
    res = subprocess.run(["dpkg-deb"] + args, capture_output=True, text=True)
    tap.is_(res.returncode, 0, "dpkg-deb %s %s" % (args[0], res.stderr))


def R(path):
    return root + path


def read(path):
    try:
        with open(path) as fp:
            return fp.read()
    except OSError:
        return ""


for path in ("/usr/sbin/dmarcwarden", "/usr/sbin/dmarcwarden-report",
             "/usr/bin/dmarcwarden-policy"):
    tap.ok(os.access(R(path), os.X_OK), "%s executable" % path)
for path in ("/usr/share/man/man1/dmarcwarden-policy.1.gz",
             "/usr/share/man/man5/dmarcwarden.conf.5.gz",
             "/usr/share/man/man8/dmarcwarden.8.gz",
             "/usr/share/man/man8/dmarcwarden-report.8.gz",
             "/usr/share/doc/dmarcwarden/main.cf.snippet",
             "/etc/dmarcwarden/dmarcwarden.conf.sample"):
    tap.ok(os.path.exists(R(path)), path)
unit = read(R("/lib/systemd/system/dmarcwarden.service"))
tap.like(unit, r"(?m)^ExecStart=/usr/sbin/dmarcwarden -f -c "
         r"/etc/dmarcwarden/dmarcwarden\.conf$", "milter unit, /usr paths")
tap.ok(os.path.exists(R("/lib/systemd/system/dmarcwarden-report.timer")),
       "report timer")

conf = read(R("/etc/dmarcwarden/dmarcwarden.conf"))
for line in ("Socket unix:/var/spool/postfix/dmarcwarden/dmarcwarden.sock",
             "UserID dmarcwarden:postfix", "UMask 007"):
    tap.like(conf, r"(?m)^%s$" % re.escape(line), "config sets " + line)
tap.like(read(os.path.join(ctl, "conffiles")),
         r"(?m)^/etc/dmarcwarden/dmarcwarden\.conf$", "config is a conffile")
# The packaged binary checks the packaged configuration; what it cannot
# find outside the installed system is the user (when absent here) and
# the directories postinst creates.
res = subprocess.run([R("/usr/sbin/dmarcwarden"), "-n", "-c",
                      R("/etc/dmarcwarden/dmarcwarden.conf")],
                     capture_output=True, text=True)
other = [ln for ln in res.stderr.splitlines()
         if not re.search(r"UserID: no such user|/var/spool/postfix/"
                          r"dmarcwarden|/var/lib/dmarcwarden", ln)]
tap.is_(other, [], "packaged daemon -n: no problem but the installed "
        "system's (%s)" % res.stderr.strip().replace("\n", "; "))

post = read(os.path.join(ctl, "postinst"))
tap.like(post, r"adduser --quiet --system --group --home /var/lib/"
         r"dmarcwarden", "postinst creates the system user")
tap.like(post, r"install -d -o dmarcwarden -g dmarcwarden -m 0750 "
         r"/var/lib/dmarcwarden", "postinst: /var/lib/dmarcwarden 0750 "
         "dmarcwarden")
tap.like(post, r"install -d -o dmarcwarden -g postfix -m 0750 \\?\s*"
         r"/var/spool/postfix/dmarcwarden", "postinst: socket directory "
         "dmarcwarden:postfix 0750")
tap.like(post, r"deb-systemd-helper .*enable.*dmarcwarden\.service",
         "postinst enables the milter unit")
tap.like(read(os.path.join(ctl, "postrm")), r"rm -rf /var/lib/dmarcwarden",
         "postrm purges the state directory")
for script in ("postinst", "postrm", "prerm"):
    path = os.path.join(ctl, script)
    if os.path.exists(path):
        res = subprocess.run(["sh", "-n", path], capture_output=True)
        tap.is_(res.returncode, 0, "%s: sh -n" % script)
tap.done_testing()
