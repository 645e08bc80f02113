/*
 * mload_session - one SMTP session with one message, through a chain of
 * milters, as Postfix runs it.
 *
 * SYNOPSIS
 *	mload_chain_t ch = { endpoints, n, timeout_ms, record };
 *	mload_outcome_t out;
 *	mload_session_run(&ch, msg, seq, &out);
 *	... out.final, out.latency_us, out.edits ...
 *	mload_outcome_free(&out);
 *
 * DESCRIPTION
 *	Opens one connection to every milter of the chain (in order) and
 *	negotiates, then sends the SMTP-level events (connect, HELO, MAIL,
 *	each RCPT, DATA) to each milter in turn, and then the message
 *	(headers, end of headers, body in chunks of at most 65535 bytes,
 *	end of message) to the first milter, applies its header edits, and
 *	sends the edited message to the next one: Postfix's cleanup server
 *	hands each milter the message as the previous milters left it.
 *	Header values go out with the space after the colon removed unless
 *	the milter negotiated SMFIP_HDR_LEADSPC; a header added by a milter
 *	that did not gets one, as Postfix stores it.
 *
 *	Decisions follow Postfix: a reject, tempfail or discard ends the
 *	message (later milters see nothing more of it); an accept ends it
 *	for that milter only; a rejected recipient is not shown to later
 *	milters and the message ends when every recipient was rejected;
 *	SMFIR_SKIP ends the body (or headers) for that milter; quarantine
 *	requests make the final result "hold" unless something rejects.
 *	After the message every connection gets SMFIC_ABORT (mail_reset),
 *	then SMFIC_ABORT and SMFIC_QUIT at disconnect.
 *
 *	Macros are those Postfix sends by default (j, {daemon_name},
 *	{daemon_addr}, v and _ at connect; {mail_addr}, {mail_host},
 *	{mail_mailer} and, with SMTP AUTH, {auth_type} and {auth_authen} at
 *	MAIL; {rcpt_addr}, {rcpt_host}, {rcpt_mailer} at RCPT; the queue id
 *	i from DATA on), one SMFIC_MACRO packet per event, restricted by
 *	the macro lists a milter sets.  The queue id is derived from seq.
 *
 *	latency_us is the time from opening the first connection to the
 *	reply that decided the message (the last end-of-message reply when
 *	nothing rejected earlier): what the milters add to the SMTP
 *	transaction.  With ch->record, out->edits lists every header edit,
 *	one per line "MILTER<TAB>add|insert|change<TAB>INDEX<TAB>NAME<TAB>
 *	VALUE" with backslash, tab, CR and LF in values written as \\ \t
 *	\r \n; it belongs to the outcome.
 *
 * DIAGNOSTICS
 *	final MLOAD_FINAL_ERROR with out->err naming the milter and the
 *	protocol error; connections are always closed.
 */
#ifndef MLOAD_SESSION_H
#define MLOAD_SESSION_H

#include <stdbool.h>

#include "../../util/strbuf.h"
#include "mload_conn.h"
#include "mload_corpus.h"

#define MLOAD_MAX_CHAIN 8

typedef enum mload_final {
	MLOAD_FINAL_ACCEPT, MLOAD_FINAL_HOLD, MLOAD_FINAL_REJECT,
	MLOAD_FINAL_TEMPFAIL, MLOAD_FINAL_DISCARD, MLOAD_FINAL_ERROR,
	MLOAD_FINAL_COUNT
} mload_final_t;

typedef struct mload_chain {
	const mload_endpoint_t *ep;
	size_t n;
	int timeout_ms;
	bool record;
	bool postfix_writes;        /* mload_conn.h: one write per event */
} mload_chain_t;

typedef struct mload_outcome {
	mload_final_t final;
	const char *stage;          /* "connect" .. "eom" */
	char reply[MLOAD_REPLY_TEXT_MAX];
	char quarantine[256];
	double latency_us;
	strbuf_t edits;
	char err[600];
} mload_outcome_t;

void mload_session_run(const mload_chain_t *ch, const mload_msg_t *m,
    unsigned long seq, mload_outcome_t *out);
void mload_outcome_free(mload_outcome_t *out);
const char *mload_final_name(mload_final_t f);

#endif
