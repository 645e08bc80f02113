#!/usr/bin/python3
"""skips.t - what dmarcwarden does not evaluate: clients in IgnoreNetworks
(loopback by default), authenticated submissions ({auth_authen}),
IgnoreSenderDomains, and messages whose every recipient is in
IgnoreRecipientDomains.  A skipped message gets no Authentication-Results,
no action and no history row; the same message otherwise is rejected."""

import os
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import dkimtest  # noqa: E402
import harness  # noqa: E402
import milterclient  # noqa: E402
import tap  # noqa: E402

harness.require_daemon()
ZONE = "\n".join([
    'example.com TXT "v=spf1 ip4:192.0.2.10 -all"',
    '_dmarc.example.com TXT "v=DMARC1; p=reject"',
])
dns = harness.start_dns(ZONE)
if dns is None:
    tap.skip_all("test DNS server unavailable: %s" % harness.last_dns_error)
out = harness.outdir("skips")
history = os.path.join(out, "history.db")
daemon = harness.Daemon(out, {
    "AuthservID": "mx.test.local",
    "HistoryDB": history,
    "IgnoreNetworks": "127.0.0.0/8, ::1/128, 203.0.113.0/24",
    "IgnoreSenderDomains": "trusted.example",
    "IgnoreRecipientDomains": "abuse.test.local",
    "Syslog": "no",
}, dns=dns)
daemon.start()
SPOOF = dkimtest.message(frm="ceo@example.com", to="bob@test.local")


def send(ip, mailfrom="x@spoof.example", rcpts=("bob@test.local",),
         auth=None):
    return milterclient.send_message(daemon.socket_spec, ip, "h.example",
                                     mailfrom, list(rcpts), SPOOF, auth=auth)


def skipped(r, name):
    tap.is_(r.action, "accept", "%s: accepted" % name)
    tap.is_(r.headers_inserted, [], "%s: no Authentication-Results" % name)


r = send("198.51.100.7")
tap.is_(r.action, "reject", "baseline: the spoof is rejected")
skipped(send("127.0.0.1"), "loopback client (IgnoreNetworks)")
skipped(send("::1"), "IPv6 loopback client")
skipped(send("203.0.113.99"), "client in a configured network")
skipped(send("198.51.100.7", auth="alice"), "authenticated submission")
skipped(send("198.51.100.7", mailfrom="a@Trusted.Example"),
        "IgnoreSenderDomains (case-insensitive)")
skipped(send("198.51.100.7", mailfrom="a@sub.trusted.example"),
        "IgnoreSenderDomains covers subdomains")
skipped(send("198.51.100.7", rcpts=["abuse@abuse.test.local"]),
        "all recipients in IgnoreRecipientDomains")
r = send("198.51.100.7", rcpts=["abuse@abuse.test.local", "bob@test.local"])
tap.is_(r.action, "reject", "one recipient outside the list: evaluated")
daemon.stop()
rows = sqlite3.connect(history).execute(
    "SELECT count(*) FROM messages").fetchone()[0]
tap.is_(rows, 2, "history holds only the two evaluated messages")
tap.done_testing()
