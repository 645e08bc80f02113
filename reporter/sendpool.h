/*
 * sendpool - hand report mails to the MTA (transport.h) on a bounded pool
 * of threads (a work queue, workq.h), so that 50,000 reports do not wait for 50,000 sendmail
 * processes or relay dialogues one after the other.
 *
 * SYNOPSIS
 *	sendpool_t *p = sendpool_new(&transport, nthreads);
 *	sendpool_item_t *it = ...;     sender, rcpt, msg, len, ctx filled
 *	sendpool_submit(p, it);
 *	while ((it = sendpool_done(p, wait)) != NULL) use it->status, why;
 *	sendpool_free(p);
 *
 * DESCRIPTION
 *	Each item is one message to one recipient: a thread calls
 *	transport_send() for it and puts it on the done list with status
 *	and why filled.  At most nthreads (1..SENDPOOL_MAX) sends run at
 *	once; sendpool_submit() does not block (the caller bounds the items
 *	in flight with sendpool_inflight()).  sendpool_done() returns a
 *	finished item (wait: block until one is; NULL when none is in
 *	flight, or none is finished and !wait).  Items come back in any
 *	order.
 *
 *	With nthreads 0 there is no thread: sendpool_submit() sends at
 *	once, in the caller's thread.
 *
 *	The pool borrows the transport (read-only while it runs) and the
 *	items and their strings: they must stay valid until the item comes
 *	back from sendpool_done().  The caller keeps all bookkeeping (the
 *	database, logs) in its own thread; the pool does no I/O other than
 *	the send.  sendpool_free() lets the threads send what is queued,
 *	waits for them, and drops the items not collected (they remain the
 *	caller's); NULL is fine.
 */
#ifndef REPORTER_SENDPOOL_H
#define REPORTER_SENDPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "transport.h"

#define SENDPOOL_MAX 64
#define SENDPOOL_WHY_MAX 512

typedef struct sendpool_item {
	/* input */
	const char *sender, *rcpt, *msg;
	size_t len;
	void *ctx;                   /* the caller's */
	/* output */
	send_status_t status;
	char why[SENDPOOL_WHY_MAX];
} sendpool_item_t;

typedef struct sendpool sendpool_t;

sendpool_t *sendpool_new(const transport_t *tp, unsigned nthreads);
void sendpool_submit(sendpool_t *p, sendpool_item_t *it);
sendpool_item_t *sendpool_done(sendpool_t *p, bool wait);
size_t sendpool_inflight(const sendpool_t *p);
unsigned sendpool_threads(const sendpool_t *p);
void sendpool_free(sendpool_t *p);

#endif
