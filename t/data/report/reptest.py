"""reptest - helpers for the reporter's integration tests.

SYNOPSIS
    import reptest
    rt = reptest.Reporter(outdir, {"ReportOrgName": "Test"})
    rc, out, err = rt.run("--db", path, "--begin", ..., "--end", ...)
    mails = rt.sent()                        # messages the fake sendmail got
    info = reptest.parse_report_mail(raw)    # checks MIME, returns a dict
    ok, msg = reptest.xmllint(xml_bytes, "rfc9990")
    counts = reptest.et_counts(xml_bytes)    # Python's own XML parser
    line = reptest.mail_dmarc(xml_bytes)     # Debian's Mail::DMARC
    line = reptest.mail_dmarc_receive(raw_mail, workdir)   # its whole path

DESCRIPTION
    Reporter writes a config file in outdir and a fake sendmail
    (outdir/fake-sendmail) that stores each message as mail/N.eml with its
    argv in mail/N.args and exits with the status written in
    outdir/sendmail.exit (default 0).  run() runs reporter/
    dmarcwarden-report with that config (extra arguments appended) and
    returns (exit status, stdout, stderr).

    parse_report_mail() checks what a receiver relies on: the Subject
    (RFC 7489 / RFC 9990 form), Auto-Submitted, Message-ID, a multipart
    body with a text/plain part and one application/gzip attachment
    named receiver!domain!begin!end!id.xml.gz; it returns the headers,
    the file name and the gunzipped XML, and raises AssertionError with
    the reason otherwise.
"""

import email
import email.policy
import glob
import gzip
import os
import re
import subprocess
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
REPORTER = os.path.join(ROOT, "reporter", "dmarcwarden-report")
XSD = {"rfc9990": os.path.join(ROOT, "reporter", "xsd",
                               "dmarc-aggregate-2.0.xsd"),
       "rfc7489": os.path.join(ROOT, "reporter", "xsd",
                               "dmarc-aggregate-rfc7489.xsd")}
NS = {"rfc9990": "urn:ietf:params:xml:ns:dmarc-2.0",
      "rfc7489": ""}               # RFC 7489 reports carry no namespace

FAKE_SENDMAIL = """#!/bin/sh
# fake sendmail: store the message and argv, exit as told.
dir="%(dir)s"
mkdir -p "$dir/mail"
n=$(ls "$dir/mail" | grep -c '\\.eml$')
printf '%%s\\n' "$@" > "$dir/mail/$n.args"
cat > "$dir/mail/$n.eml"
if [ -f "$dir/sendmail.sleep" ]; then sleep "$(cat "$dir/sendmail.sleep")"; fi
if [ -f "$dir/sendmail.exit" ]; then exit "$(cat "$dir/sendmail.exit")"; fi
exit 0
"""


class Reporter:
    def __init__(self, out, config=None):
        self.out = out
        self.sendmail = os.path.join(out, "fake-sendmail")
        with open(self.sendmail, "w") as fp:
            fp.write(FAKE_SENDMAIL % {"dir": out})
        os.chmod(self.sendmail, 0o755)
        self.conf = os.path.join(out, "report.conf")
        settings = {"AuthservID": "mx.test.local", "Syslog": "no",
                    "HistoryDB": '""', "ReportSendmail": self.sendmail,
                    "ReportOrgName": "Test Receiver",
                    "ReportSender": "dmarc-reports@mx.test.local"}
        settings.update(config or {})
        self.write_config(settings)

    def write_config(self, settings):
        with open(self.conf, "w") as fp:
            for k, v in settings.items():
                if v is not None:
                    fp.write("%s %s\n" % (k, v))

    def sendmail_exit(self, code):
        path = os.path.join(self.out, "sendmail.exit")
        if code is None:
            if os.path.exists(path):
                os.unlink(path)
        else:
            with open(path, "w") as fp:
                fp.write("%d\n" % code)

    def run(self, *args, env=None, timeout=60):
        proc = subprocess.run([REPORTER, "-c", self.conf, "--no-progress"] +
                              list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout,
                              env=env)
        return (proc.returncode, proc.stdout.decode("utf-8", "replace"),
                proc.stderr.decode("utf-8", "replace"))

    def sent(self):
        """[(argv list, raw bytes)] in order."""
        out = []
        files = glob.glob(os.path.join(self.out, "mail", "*.eml"))
        for path in sorted(files, key=lambda p: int(os.path.basename(
                p).split(".")[0])):
            with open(path, "rb") as fp:
                raw = fp.read()
            with open(path[:-4] + ".args") as fp:
                argv = fp.read().split("\n")[:-1]
            out.append((argv, raw))
        return out


SUBJECT = re.compile(r"^Report Domain: (\S+) Submitter: (\S+) "
                     r"Report-ID: <([A-Za-z0-9]+)>$")


def parse_report_mail(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    subject = re.sub(r"\s+", " ", str(msg["Subject"]))
    m = SUBJECT.match(subject)
    assert m, "Subject not in the RFC form: %r" % subject
    assert msg["Auto-Submitted"] == "auto-generated", "no Auto-Submitted"
    assert re.match(r"^<[^<>@]+@[^<>@]+>$", str(msg["Message-ID"])), \
        "bad Message-ID %r" % msg["Message-ID"]
    assert msg.get_content_type() == "multipart/mixed", \
        "top level is %s" % msg.get_content_type()
    parts = list(msg.iter_parts())
    types = [p.get_content_type() for p in parts]
    assert types == ["text/plain", "application/gzip"], "parts %r" % types
    att = parts[1]
    fname = att.get_filename()
    domain, submitter, rid = m.group(1), m.group(2), m.group(3)
    fm = re.match(r"^([^!]+)!([^!]+)!(\d+)!(\d+)!([A-Za-z0-9]+)\.xml\.gz$",
                  fname or "")
    assert fm, "attachment name %r" % fname
    assert fm.group(1) == submitter and fm.group(2) == domain, \
        "file name %r does not match the Subject" % fname
    assert fm.group(5) == rid, "file name id differs from Report-ID"
    assert att.get_content_disposition() == "attachment"
    assert att["Content-Transfer-Encoding"] == "base64"
    xml = gzip.decompress(att.get_content())
    return {"msg": msg, "domain": domain, "submitter": submitter,
            "report_id": rid, "filename": fname, "begin": int(fm.group(3)),
            "end": int(fm.group(4)), "xml": xml,
            "text": parts[0].get_content()}


def nons_schema(fmt="rfc7489"):
    """The RFC 7489 schema for documents without a namespace (what the
    reporter writes): the same file with its target namespace taken out.
    The report itself is never changed."""
    text = open(XSD[fmt], encoding="utf-8").read()
    for attr in ('targetNamespace="http://dmarc.org/dmarc-xml/0.1"',
                 'xmlns="http://dmarc.org/dmarc-xml/0.1"',
                 'elementFormDefault="qualified"'):
        assert attr in text, attr
        text = text.replace(attr, "")
    path = os.path.join("/tmp", "dmarcwarden-7489-nons-%d.xsd" % os.getpid())
    with open(path, "w", encoding="utf-8") as fp:
        fp.write(text)
    return path


def xmllint(xml, fmt="rfc9990"):
    schema = nons_schema(fmt) if NS[fmt] == "" else XSD[fmt]
    proc = subprocess.run(["xmllint", "--noout", "--schema", schema, "-"],
                          input=xml, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    return proc.returncode == 0, proc.stderr.decode("utf-8", "replace")


def et_counts(xml, fmt="rfc9990"):
    """Parse with Python's expat-based ElementTree: a dict with the
    report id, policy domain, number of records, the sum of counts, and
    per source_ip counts."""
    ns = {"d": NS[fmt]}
    root = ET.fromstring(xml)
    want = "{%s}feedback" % NS[fmt] if NS[fmt] else "feedback"
    assert root.tag == want, "root %s" % root.tag
    by_ip = {}
    total = 0
    recs = root.findall("d:record", ns)
    for rec in recs:
        ip = rec.find("d:row/d:source_ip", ns).text
        c = int(rec.find("d:row/d:count", ns).text)
        by_ip[ip] = by_ip.get(ip, 0) + c
        total += c
    return {"report_id": root.find("d:report_metadata/d:report_id", ns).text,
            "domain": root.find("d:policy_published/d:domain", ns).text,
            "records": len(recs), "total": total, "by_ip": by_ip,
            "root": root, "ns": ns}


MAIL_DMARC = r"""
use strict; use warnings;
use Mail::DMARC::Report::Receive; use XML::LibXML;
my $xml = do { local $/; <STDIN> };
# Mail::DMARC's XPath queries name elements without a namespace.
$xml =~ s/ xmlns="[^"]*"//;
my $r = Mail::DMARC::Report::Receive->new;
my $dom = XML::LibXML->load_xml(string => $xml);
$r->do_node_report_metadata($dom->findnodes("/feedback/report_metadata"));
$r->do_node_policy_published($dom->findnodes("/feedback/policy_published"));
$r->do_node_record($_) for $dom->findnodes("/feedback/record");
my $agg = $r->report->aggregate;
my $n = 0; $n += $_->row->count for @{$agg->record};
printf "report_id=%s domain=%s records=%d count=%d\n",
    $agg->metadata->report_id, $agg->policy_published->domain,
    scalar @{$agg->record}, $n;
"""


def mail_dmarc(xml):
    """Mail::DMARC's reading of the report, one line; None when the Perl
    module is not installed."""
    probe = subprocess.run(["perl", "-MMail::DMARC::Report::Receive", "-e",
                            "1"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    if probe.returncode != 0:
        return None
    proc = subprocess.run(["perl", "-e", MAIL_DMARC], input=xml,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return proc.stdout.decode().strip() or proc.stderr.decode()[-300:]


MAIL_DMARC_RECEIVE = r"""
use strict; use warnings;
use Mail::DMARC::Report::Receive; use Email::Simple; use DBI;
my ($store) = @ARGV;
my $raw = do { local $/; <STDIN> };
my $r = Mail::DMARC::Report::Receive->new;
my $type = $r->from_email_simple(Email::Simple->new($raw)) // "none";
my $agg = $r->report->aggregate;
my $n = 0; $n += $_->row->count for @{$agg->record};
my $dbh = DBI->connect("dbi:SQLite:dbname=$store", "", "",
    { RaiseError => 1 });
my ($stored) = $dbh->selectrow_array("SELECT coalesce(sum(count), 0)"
    . " FROM report_record");
printf "type=%s report_id=%s domain=%s records=%d count=%d stored=%d\n",
    $type, $agg->metadata->report_id // "",
    $agg->policy_published->domain // "", scalar @{$agg->record}, $n,
    $stored;
"""

MAIL_DMARC_INI = """[organization]
domain = test.local
org_name = Test
email = dmarc@test.local
[report_store]
backend = SQL
dsn = dbi:SQLite:dbname=%(store)s
user =
pass =
auto_save = 0
[dmarc]
backend = perl
[dns]
timeout = 1
public_suffix_list = /usr/share/publicsuffix/public_suffix_list.dat
"""


def mail_dmarc_receive(raw, workdir):
    """Mail::DMARC's own receiving path, unmodified, on the report mail
    as sent: Mail::DMARC::Report::Receive->from_email_simple() (Subject,
    gzip attachment, its XPath reading of the XML) saving into its SQLite
    report store.  One line with what it read and stored; None when the
    Perl module is not installed."""
    probe = subprocess.run(["perl", "-MMail::DMARC::Report::Receive",
                            "-MDBD::SQLite", "-e", "1"],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    if probe.returncode != 0:
        return None
    os.makedirs(workdir, exist_ok=True)
    store = os.path.join(workdir, "mail-dmarc.sqlite")
    if os.path.exists(store):
        os.unlink(store)
    ini = os.path.join(workdir, "mail-dmarc.ini")
    with open(ini, "w") as fp:
        fp.write(MAIL_DMARC_INI % {"store": store})
    env = dict(os.environ, MAIL_DMARC_CONFIG_FILE=ini)
    proc = subprocess.run(["perl", "-e", MAIL_DMARC_RECEIVE, store],
                          input=raw, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, cwd=workdir)
    lines = proc.stdout.decode().strip().split("\n")
    return lines[-1] if lines[-1] else proc.stderr.decode()[-300:]
