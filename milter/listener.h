/*
 * listener - the milter socket: opened through libmilter, owned by
 * UserID, without Nagle's delay on TCP, with the cause of a failure.
 *
 * SYNOPSIS
 *	if (listener_open(cfg, "unix:/var/spool/postfix/dmarcwarden/s") < 0)
 *		exit(1);                // why was logged
 *	listener_in_use(spec, err, errlen);   // -n and start-up checks
 *
 * DESCRIPTION
 *	listener_open() registers the callbacks (milter_register()) and has
 *	libmilter create the listening socket, with UMask applied while a
 *	unix socket is created.  It runs before the privilege drop, so a
 *	unix socket created by root is then given to UserID's user and
 *	group: with UserID dmarcwarden:postfix and UMask 007 Postfix's smtpd
 *	(group postfix) can connect and nobody else can.  Started as that
 *	user already (systemd's User=), the daemon changes only the group,
 *	which it must be a member of (SupplementaryGroups=postfix).
 *
 *	On a TCP socket (inet:, inet6:) it sets TCP_NODELAY on the listening
 *	socket, which Linux copies to every accepted connection, and asks
 *	milter.c to reply to every step (milter_reply_every_step()): without
 *	both, each message waits twice for a delayed ACK (about 40 ms each),
 *	once for our header edits followed by the final reply, once for
 *	the MTA's header packets that get no reply.  A socket given as
 *	inet:PORT listens on every address: that is allowed but warned
 *	about (any host that reaches the port can submit mail to the filter
 *	and learn verdicts).
 *
 *	libmilter removes a stale unix socket file before binding, even one
 *	a running daemon still serves: listener_in_use() tells (by
 *	connecting) whether something answers on the socket, so start-up
 *	refuses instead of stealing it.
 *
 * DIAGNOSTICS
 *	listener_open() returns 0, or -1 after logging the socket and the
 *	cause (no such directory, permission denied, address already in
 *	use, ...), found again with the system calls libmilter does not
 *	report.  listener_in_use() returns 1 (err says by what), or 0.
 */
#ifndef MILTER_LISTENER_H
#define MILTER_LISTENER_H

#include <stddef.h>

#include "../conf/config.h"

int listener_open(const config_t *cfg, const char *spec);
int listener_in_use(const char *spec, char *err, size_t errlen);
/* The path of a unix:/local: socket spec, or NULL for a TCP one. */
const char *listener_unix_path(const char *spec);

#endif
