/*
 * message - per-connection and per-message state of the milter, and the
 * end-of-message evaluation.
 *
 * SYNOPSIS
 *	message_t *m = message_new(rt, generation_current(slot), qid);
 *	message_header(m, name, value, leadspc);  ... message_body(m, p, n);
 *	message_finish(rt, conn, m, &out);     evaluate
 *	outcome_free(&out); message_free(m);
 *
 * DESCRIPTION
 *	message_t collects what the milter callbacks see: envelope, the
 *	header-From domains (parsed as each From header arrives), the
 *	positions of Authentication-Results headers that claim our
 *	authserv-id, the list headers, and streaming DKIM and ARC
 *	verifiers.  Nothing of the body is kept.  message_finish() runs
 *	SPF, finishes DKIM and ARC, evaluates DMARC with the policy core,
 *	applies the local exceptions and the enforcement stage
 *	(exceptions.h, policy/override.h), decides the action and prepares
 *	the
 *	Authentication-Results value, the log line and the history row.  It
 *	does no libmilter calls: milter.c applies the outcome.
 *
 *	A message is evaluated with one configuration: message_new() takes
 *	over the caller's reference to a generation (generation.h; released
 *	even when message_new fails), every setting is read from m->gen, and
 *	message_free() releases it.  A SIGHUP while the message is under
 *	way changes nothing for it.
 *
 *	All recipients of a message share its verdict, so they must share
 *	their LocalPolicyFile rcpt settings (localpolicy.h): message_rcpt()
 *	takes the first recipient's and refuses later recipients whose
 *	settings differ.
 *
 *	The message_t and outcome_t belong to the caller; free functions
 *	accept NULL.  outcome_t.arc points into the message's ARC verifier:
 *	free the outcome before the message.
 */
#ifndef MILTER_MESSAGE_H
#define MILTER_MESSAGE_H

#include "../policy/from_header.h"
#include "../policy/mlist.h"
#include "../util/strbuf.h"
#include "decide.h"
#include "../history/history.h"
#include "localpolicy.h"
#include "runtime.h"

#define MSG_MAX_FORGED 64
#define MSG_MAILFROM_MAX 512

typedef struct connection {
	char client_ip[HISTORY_ADDR_MAX];
	char client_host[FROM_DOMAIN_MAX];
	char helo[FROM_DOMAIN_MAX];
} connection_t;

typedef struct message {
	generation_t *gen;                      /* configuration, held */
	char qid[HISTORY_QID_MAX];
	char mailfrom[MSG_MAILFROM_MAX];        /* without <> */
	char mailfrom_domain[FROM_DOMAIN_MAX];
	size_t nrcpt;
	size_t nrcpt_domains;
	char rcpt_domain[HISTORY_MAX_RCPT_DOMAINS][FROM_DOMAIN_MAX];
	bool rcpt_all_ignored;
	localpolicy_rcpt_t rcpt_settings;       /* of the first recipient */
	bool rcpt_mixed;        /* recipients with different settings taken
	                           (the MTA wanted no reply to RCPT) */
	size_t nfrom_headers;
	from_result_t from;                     /* domains of all From */
	bool from_error;
	char from_reason[FROM_REASON_MAX];
	unsigned nauthres;                      /* A-R headers seen */
	size_t nforged;
	unsigned forged[MSG_MAX_FORGED];        /* 1-based A-R indices */
	bool forged_overflow;
	dkim_verify_t *dkim;
	arc_verify_t *arc;
	mlist_headers_t lists;                  /* List-Id, List-Post */
	bool is_report;                         /* itself a DMARC report */
	strbuf_t sample;                        /* failure sample header */
} message_t;

typedef struct outcome {
	bool evaluated;          /* DMARC was evaluated (verdict valid) */
	verdict_t verdict;
	decision_t decision;
	spf_outcome_t spf;
	dkim_results_t dkim;
	const arc_result_t *arc; /* owned by the message's verifier, or NULL */
	strbuf_t authres;        /* value of our Authentication-Results */
	strbuf_t logline;
	history_row_t row;       /* valid when evaluated */
} outcome_t;

message_t *message_new(const runtime_t *rt, generation_t *gen,
    const char *qid);
void message_free(message_t *m);
void message_set_qid(message_t *m, const char *qid);
void message_mailfrom(message_t *m, const char *arg);
/* 0: the recipient is taken.  -1: its LocalPolicyFile rcpt settings
 * differ from the first recipient's and can_refuse is set: it is not
 * taken, refuse it (452 4.7.1).  Without can_refuse such a recipient is
 * taken and rcpt_mixed set (the message is then tempfailed as a whole:
 * decide_rcpt_mixed()). */
int message_rcpt(message_t *m, const char *arg, bool can_refuse);
/* value: the field body as written after the colon; leadspc false when
 * the MTA stripped the space after the colon (it is put back for DKIM). */
void message_header(message_t *m, const char *name, const char *value,
    bool leadspc);
void message_eoh(message_t *m);
void message_body(message_t *m, const unsigned char *p, size_t n);
void message_finish(const runtime_t *rt, const connection_t *c,
    message_t *m, outcome_t *out);
void outcome_free(outcome_t *out);
/* Every header field (outcome.c): notes DMARC reports (Subject "Report
 * Domain:", feedback reports) and, with FailureReports, keeps the
 * FailureReportHeaders fields for a failure sample (bounded). */
void outcome_header(message_t *m, const char *name, const char *value);

/* Domain part of an address ("user@Example.COM" -> "example.com"),
 * normalised; "" when there is none.  Brackets are stripped. */
void address_domain(const char *addr, char *out, size_t outlen);

#endif
