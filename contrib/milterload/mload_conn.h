/*
 * mload_conn - one MTA-to-milter connection: transport, negotiation,
 * events and replies (Sendmail milter protocol version 6, as Postfix
 * speaks it).
 *
 * SYNOPSIS
 *	mload_endpoint_t ep;
 *	mload_endpoint_parse("unix:/run/x.sock", &ep, err, errlen);
 *	mload_conn_t c;
 *	mload_conn_open(&c, &ep, timeout_ms, err, errlen);
 *	mload_conn_macros(&c, SMFIC_CONNECT, names, values, n);
 *	mload_conn_event(&c, SMFIC_CONNECT, data, len, &reply);
 *	mload_conn_abort(&c); mload_conn_quit(&c);   (quit closes)
 *	mload_reply_free(&reply);
 *
 * DESCRIPTION
 *	mload_conn_open() connects and sends SMFIC_OPTNEG offering version
 *	6, every action (SMFI_CURR_ACTS) and every protocol step
 *	(SMFI_CURR_PROT); the milter's answer is kept in version, actions
 *	and protocol, and its macro lists (SMFIR_SETSYMLIST data after the
 *	three words) in symlist.  A milter asking for a version, action or
 *	protocol bit that was not offered is a protocol error.
 *
 *	mload_conn_macros() queues one SMFIC_MACRO packet for an event,
 *	holding only the macros the milter's list for that stage names
 *	(all when it sent no list).  Like Postfix, the packet is sent even
 *	when the event itself is skipped.
 *
 *	mload_conn_event() sends one event unless the milter asked not to
 *	get it (SMFIP_NO*: reply action MLOAD_SKIPPED_EVENT), then reads
 *	its replies unless it asked not to reply (SMFIP_NR_*: action
 *	MLOAD_CONTINUE without reading).  Packets are queued in an output
 *	buffer and written when a reply must be read, when the buffer is
 *	full, or by mload_conn_flush(), so that events without replies
 *	(headers with SMFIP_NR_HDR) travel in few writes; the milter sees
 *	the same byte stream.  With postfix_writes set (after opening),
 *	every event goes out at once in its own write, with the macros
 *	queued before it, and a macro packet of a skipped event alone, as
 *	Postfix's milter8 writes them (Nagle's algorithm left on): the
 *	milter's delayed ACKs then cost what they cost with Postfix.  Body
 *	events carry at most MILTER_CHUNK_SIZE
 *	bytes, the caller splits.
 *
 *	Replies: SMFIR_PROGRESS is consumed; SMFIR_QUARANTINE sets
 *	reply->quarantine; at end of message the modifications are
 *	collected (header additions, insertions and changes in order in
 *	reply->edit; recipient, sender and body changes only counted in
 *	reply->other_mods) and need the matching negotiated action.  The
 *	final reply sets reply->action: MLOAD_CONTINUE, ACCEPT, REJECT,
 *	TEMPFAIL, DISCARD, SKIP (SMFIR_SKIP) or, for SMFIR_SHUTDOWN and
 *	SMFIR_CONN_FAIL, TEMPFAIL with shutdown set.  SMFIR_REJECT and
 *	SMFIR_TEMPFAIL get Postfix's reply texts; SMFIR_REPLYCODE its own
 *	text, checked to start with a 4xx/5xx code.
 *
 *	Header edit values are kept as the milter sent them; whether a space
 *	must be added after the colon depends on SMFIP_HDR_LEADSPC, which
 *	the caller reads from protocol.
 *
 *	The connection owns its buffers; mload_conn_close() (also done by
 *	quit and by open on failure) releases them and may be called twice.
 *	A reply owns its edit list: mload_reply_free() releases it.
 *
 * DIAGNOSTICS
 *	Every function returns 0, or -1 with a message in c->err (I/O error,
 *	EOF, timeout after timeout_ms of silence, protocol violation); the
 *	connection is then unusable and should be closed.  A packet longer
 *	than MLOAD_MAX_PACKET bytes is refused, as Postfix does.
 */
#ifndef MLOAD_CONN_H
#define MLOAD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#define MLOAD_MAX_PACKET (2 * MILTER_CHUNK_SIZE)
#define MLOAD_STAGES 7          /* SMFIM_CONNECT .. SMFIM_EOH */
#define MLOAD_REPLY_TEXT_MAX 1024
#define MLOAD_MAX_EDITS 1000

typedef struct mload_endpoint {
	int family;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char spec[256];
} mload_endpoint_t;

enum mload_action {
	MLOAD_CONTINUE, MLOAD_ACCEPT, MLOAD_REJECT, MLOAD_TEMPFAIL,
	MLOAD_DISCARD, MLOAD_SKIP, MLOAD_SKIPPED_EVENT
};

typedef struct mload_edit {
	char cmd;           /* SMFIR_ADDHEADER, SMFIR_INSHEADER, SMFIR_CHGHEADER */
	unsigned index;     /* insert position / occurrence (1-based) */
	char *name;
	char *value;        /* "" with SMFIR_CHGHEADER deletes */
} mload_edit_t;

typedef struct mload_reply {
	enum mload_action action;
	bool shutdown;
	char text[MLOAD_REPLY_TEXT_MAX];    /* "550 5.7.1 ..." or "" */
	bool quarantine;
	char quarantine_reason[256];
	mload_edit_t *edit;
	size_t nedit;
	size_t other_mods;
} mload_reply_t;

typedef struct mload_conn {
	int fd;
	unsigned long version, actions, protocol;
	char *symlist[MLOAD_STAGES];    /* " a b c " or NULL: send all */
	unsigned char *out;             /* queued packets */
	size_t outlen;
	bool postfix_writes;            /* write each event as it comes */
	unsigned char *in;              /* read buffer */
	size_t inlen, inoff;
	char err[512];
} mload_conn_t;

int mload_endpoint_parse(const char *spec, mload_endpoint_t *ep, char *err,
    size_t errlen);
int mload_conn_open(mload_conn_t *c, const mload_endpoint_t *ep,
    int timeout_ms);
void mload_conn_close(mload_conn_t *c);
int mload_conn_macros(mload_conn_t *c, char event, const char *const *name,
    const char *const *value, size_t n);
int mload_conn_event(mload_conn_t *c, char event, const void *data,
    size_t len, mload_reply_t *reply);
int mload_conn_flush(mload_conn_t *c);
int mload_conn_abort(mload_conn_t *c);
int mload_conn_quit(mload_conn_t *c);
void mload_reply_free(mload_reply_t *r);
const char *mload_action_name(enum mload_action a);

#endif
