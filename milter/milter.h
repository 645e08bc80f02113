/*
 * milter - the libmilter callbacks: thin wrappers that move what the MTA
 * says into message_t and apply the outcome of message_finish().
 *
 * SYNOPSIS
 *	milter_register(&err) once, then smfi_main().
 *
 * DESCRIPTION
 *	Per connection: the client address and HELO name; connections from
 *	IgnoreNetworks are accepted at connect.  Per message: a message_t,
 *	created at MAIL FROM and freed at end of message, abort or close;
 *	it holds the configuration generation current at MAIL FROM
 *	(generation.h), so a SIGHUP applies from the next message on, also
 *	on a connection that stays open.  IgnoreNetworks is checked again
 *	at MAIL FROM with that generation (a reload can add a network; it
 *	cannot take back a connection already accepted at connect).
 *	Authenticated senders ({auth_authen}) and IgnoreSenderDomains are
 *	accepted at MAIL FROM, messages whose every recipient is in
 *	IgnoreRecipientDomains at end of headers.  A recipient whose
 *	LocalPolicyFile rcpt settings differ from the message's first
 *	recipient's is answered 452 4.7.1 (message.h); RCPT gets a reply
 *	only when the LocalPolicyFile has rcpt entries.  At end of message:
 *	delete Authentication-Results headers claiming our authserv-id,
 *	insert ours first, then reject, quarantine, tempfail or accept; log
 *	one line; hand the history row to the writer.
 *
 *	Steps whose answer is always "continue" (HELO, RCPT, headers, body
 *	chunks) are negotiated without a reply, saving round trips on unix
 *	sockets, and DATA and unknown commands are not sent at all;
 *	milter_reply_every_step(true), called before smfi_main() for TCP
 *	sockets (listener.h), has every step sent and answered instead, so
 *	no packet of the MTA waits (Nagle) for a delayed ACK.
 *
 *	The filter negotiates SMFIP_HDR_LEADSPC, so header values arrive as
 *	written (DKIM simple canonicalization needs the leading space).
 */
#ifndef MILTER_MILTER_H
#define MILTER_MILTER_H

#include <stdbool.h>

int milter_register(void);
void milter_reply_every_step(bool on);

#endif
