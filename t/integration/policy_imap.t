#!/usr/bin/python3
"""policy_imap.t - dmarcwarden-policy ingest --imap against a real Dovecot
(dovecot-imapd) started here on 127.0.0.1 with a private configuration
(its own base_dir, log, passwd-file and Maildir; no system service) and
stopped at the end.  The mailbox holds a real failure report, a real
aggregate report email, the same aggregate report again and a junk
message: the reports are stored, the three handled messages move to the
processed folder (checked over IMAP with Python's imaplib), the junk one
stays; a rerun fetches only the junk one; a message over --max-size stays;
imap:// without --imap-no-tls insists on STARTTLS; a wrong password, a bad
folder name and a non-IMAP URL are errors; the password never shows."""

import imaplib
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import harness  # noqa: E402
import reportgen  # noqa: E402
import tap  # noqa: E402
from reportgen import run  # noqa: E402

DOVECOT = shutil.which('dovecot') or '/usr/sbin/dovecot'
SAMPLES = '/work/shared/realworld-reports/samples'
if not os.access(reportgen.TOOL, os.X_OK):
    tap.skip_all('policy/tool/dmarcwarden-policy not built')
if not os.access(DOVECOT, os.X_OK):
    tap.skip_all('dovecot not installed (apt-get install dovecot-imapd; '
                 'see contrib/install-deps)')
if os.geteuid() != 0:
    tap.skip_all('needs root (Dovecot runs the mail user as nobody)')
if not os.path.isdir(SAMPLES):
    tap.skip_all('realworld-reports samples not found')

out = harness.outdir('policy_imap')
top = tempfile.mkdtemp(prefix='dw-imap-')   # nobody must reach the Maildir
harness.at_cleanup(lambda: shutil.rmtree(top, ignore_errors=True))
os.chmod(top, 0o755)
home = os.path.join(top, 'home', 'rua')
maildir = os.path.join(home, 'Maildir')
for d in ('cur', 'new', 'tmp'):
    os.makedirs(os.path.join(maildir, d))
with open(os.path.join(top, 'passwd'), 'w') as f:
    f.write('rua:{PLAIN}s3cret-pw::::::\n')
port = harness.free_port()
conf = os.path.join(top, 'dovecot.conf')
with open(conf, 'w') as f:
    f.write('''base_dir = %(top)s/run
state_dir = %(top)s/state
instance_name = dw-test-imap-%(port)d
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
log_path = %(top)s/dovecot.log
mail_location = maildir:~/Maildir
default_login_user = dovenull
default_internal_user = dovecot
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %(top)s/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=%(top)s/home/%%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %(port)d
  }
  inet_listener imaps {
    port = 0
  }
}
''' % {'top': top, 'port': port})


def deliver(name, data):
    path = os.path.join(maildir, 'new', name)
    with open(path, 'wb') as f:
        f.write(data)


def sample(rel):
    with open(os.path.join(SAMPLES, rel), 'rb') as f:
        return f.read()


deliver('1.test', sample('failure/[Netease DMARC Failure Report] Rent '
                         'Reminder.eml'))
deliver('2.test', sample('aggregate/twilight.eml'))
deliver('3.test', b'From: someone@example.net\nSubject: hello\n\nnot a '
        b'report\n')
deliver('4.test', sample('aggregate/twilight.eml'))
subprocess.run(['chown', '-R', 'nobody:nogroup', os.path.join(top, 'home')],
               check=True)

dove = subprocess.Popen([DOVECOT, '-F', '-c', conf], start_new_session=True,
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
harness.at_cleanup(lambda: harness.stop_process(dove))
harness.wait_for_socket(('127.0.0.1', port), timeout=20, proc=dove)
tap.ok(True, 'dovecot started on 127.0.0.1:%d' % port)


def count(folder):
    m = imaplib.IMAP4('127.0.0.1', port)
    try:
        m.login('rua', 's3cret-pw')
        typ, data = m.select(folder, readonly=True)
        return int(data[0]) if typ == 'OK' else None
    finally:
        m.logout()


db = os.path.join(out, 'reports.db')
URL = 'imap://rua@127.0.0.1:%d/INBOX' % port
os.environ['DMARCWARDEN_IMAP_PASSWORD'] = 's3cret-pw'
rc, so, se = run(['ingest', '--db', db, '--imap', URL, '--imap-no-tls'])
tap.is_(rc, 1, 'ingest --imap exits 1 (the junk message was rejected)')
tap.like(so, r'INBOX;UID=1: stored failure report for cardinal\.com from '
         r'163\.com', 'UID 1: the failure report stored')
tap.like(so, r'INBOX;UID=2\[[^\n]*\]: stored google\.com report '
         r'1627703331531660819 for twlnet\.com', 'UID 2: the aggregate '
         'report stored')
tap.like(so, r'INBOX;UID=3: rejected: [^\n]*\n[^\n]*INBOX;UID=3: left in the '
         r'mailbox', 'UID 3: junk rejected and left in the mailbox')
tap.like(so, r'INBOX;UID=4\[[^\n]*\]: duplicate google\.com report',
         'UID 4: the resent report is a duplicate')
tap.like(so, r'ingest: 4 files, 1 reports stored \(1 records, 1 messages\), '
         r'1 duplicates, 1 rejected, 1 failure reports stored', 'summary')
tap.is_((count('INBOX'), count('Processed')), (1, 3),
        'over IMAP: 3 messages moved to Processed, the junk one stays')

rc, so, se = run(['ingest', '--db', db, '--imap', URL, '--imap-no-tls'])
tap.like(so, r'^[^\n]*INBOX;UID=3: rejected[^\n]*\n[^\n]*left in the '
         r'mailbox\ningest: 1 files,', 'rerun: only the message left '
         'behind is fetched again')
rc, so, se = run(['list', '--db', db])
tap.like(so, r'\ncardinal\.com +0 +0 +0 +1 .*\ntwlnet\.com +1 +1 +1 +0 ',
         'list: the domains of both reports, each stored once')

deliver('5.test', b'From: big@example.net\nSubject: big\n\n' +
        b'x' * 150000 + b'\n')
subprocess.run(['chown', '-R', 'nobody:nogroup', maildir], check=True)
rc, so, se = run(['ingest', '--db', db, '--imap', URL, '--imap-no-tls',
                  '--imap-processed', 'Reports.done', '--max-size', '100000'])
tap.like(so, r'INBOX;UID=5: rejected: message larger than 100000 bytes, '
         r'left in the mailbox', 'a message over --max-size stays')
tap.is_((count('INBOX'), count('Reports.done')), (2, 0),
        'a nested processed folder is created; nothing moved to it')

rc, so, se = run(['ingest', '--db', db, '--imap', URL])
tap.is_(rc, 2, 'imap:// without --imap-no-tls: error (STARTTLS required)')
tap.like(se, r'STARTTLS', 'says STARTTLS is not available')
rc, so, se = run(['ingest', '--db', db, '--imap',
                  'imap://rua:wrong-pw@127.0.0.1:%d/INBOX' % port,
                  '--imap-no-tls'])
tap.is_(rc, 2, 'wrong password: error')
tap.like(se, r'[Ll]ogin denied|authentication', 'says the login failed')
os.environ['DMARCWARDEN_IMAP_PASSWORD'] = ''
rc, so, se = run(['ingest', '--db', db, '--imap',
                  'imap://rua:s3cret-pw@127.0.0.1:%d/INBOX' % port,
                  '--imap-no-tls'])
tap.ok(rc == 1 and 'UID=3' in so and 's3cret-pw' not in so + se,
       'password in the URL works and is never printed')
rc, so, se = run(['ingest', '--db', db, '--imap', URL, '--imap-no-tls',
                  '--imap-processed', 'a b'])
tap.ok(rc == 2 and 'imap-processed' in se, 'folder name with a blank: '
       'refused before connecting')
rc, so, se = run(['ingest', '--db', db, '--imap', 'http://127.0.0.1/'])
tap.ok(rc == 2 and 'imap://' in se, 'http:// URL refused')
rc, so, se = run(['ingest', '--db', db, '--imap-no-tls', SAMPLES])
tap.is_(rc, 2, '--imap-no-tls without --imap: usage error')

harness.stop_process(dove)
tap.ok(dove.poll() is not None, 'dovecot stopped')
sys.exit(tap.done_testing())
