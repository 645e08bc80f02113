/*
 * transport - hand one report mail to the MTA: the sendmail(1) interface
 * or SMTP to a relay.
 *
 * SYNOPSIS
 *	transport_t t = { .sendmail = "/usr/sbin/sendmail" };   or .relay
 *	switch (transport_send(&t, sender, rcpt, msg, len, why, sizeof(why)))
 *
 * DESCRIPTION
 *	With relay empty the message goes to `sendmail -oi -f SENDER --
 *	RCPT` (no shell; the environment is passed on, so MAIL_CONFIG
 *	selects a Postfix instance).  One explicit recipient, not -t: the
 *	envelope recipient is exactly the destination, whatever the header
 *	says, and the envelope sender receives the bounces.  Exit 0 is
 *	SEND_OK; EX_DATAERR, EX_NOUSER, EX_NOHOST and EX_NOPERM are
 *	permanent; any other status (EX_TEMPFAIL, 1, a signal) is temporary.
 *
 *	With a relay ("host", "host:port", "[addr]:port"; port 25 by
 *	default) transport_send() speaks SMTP (RFC 5321): EHLO (HELO when
 *	refused), MAIL FROM, RCPT TO, DATA with dot-stuffing, QUIT.  Replies
 *	are read with a bound (TRANSPORT_LINE_MAX bytes a line,
 *	TRANSPORT_LINES_MAX lines a reply) and a timeout per read and
 *	write.  A 5xx reply is SEND_PERMFAIL; 4xx, a broken connection, a
 *	timeout or a malformed reply is SEND_TEMPFAIL.
 *
 *	STARTTLS (RFC 3207, OpenSSL): when the relay's EHLO reply offers
 *	it, the session switches to TLS (1.2 or later, SNI with the relay's
 *	name) and says EHLO again; what the relay sent before the handshake
 *	is discarded.  Opportunistic, as an MTA's "may" level: the
 *	certificate is not verified (the relay is the local MTA or a smart
 *	host on a trusted network; TLS keeps the reports off the wire in
 *	clear).  A refused STARTTLS goes on in clear; a failed handshake is
 *	retried once on a new connection without TLS (why then says so).
 *	A message sent over TLS has "relay (TLS):" in `why`.
 *
 *	sender and rcpt must be plain addresses (dest.h checks them: no
 *	spaces, controls or angle brackets).  `why` gets the MTA's answer or
 *	the failure, made printable.
 */
#ifndef REPORTER_TRANSPORT_H
#define REPORTER_TRANSPORT_H

#include <stddef.h>

#define TRANSPORT_LINE_MAX 1024
#define TRANSPORT_LINES_MAX 64
#define TRANSPORT_TIMEOUT_S 60

typedef enum send_status {
	SEND_OK = 0,
	SEND_TEMPFAIL,
	SEND_PERMFAIL,
} send_status_t;

typedef struct transport {
	const char *sendmail;        /* path, used when relay is "" */
	const char *relay;           /* host[:port] or "" */
	const char *helo;            /* EHLO name */
	unsigned timeout_s;          /* 0: TRANSPORT_TIMEOUT_S */
} transport_t;

send_status_t transport_send(const transport_t *t, const char *sender,
    const char *rcpt, const char *msg, size_t len, char *why, size_t whylen);
const char *send_status_name(send_status_t s);

#endif
