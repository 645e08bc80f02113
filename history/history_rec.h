/*
 * history_rec - one history row as the text values a database stores:
 * the message's columns and its child rows.  The PostgreSQL writer sends
 * it, the spool writes it to disk and reads it back.
 *
 * SYNOPSIS
 *	hrec_t r;
 *	hrec_from_item(&r, item, row_uid, host);   (borrows item's strings)
 *	r.msg[HREC_TIME], r.rcpt[k], r.dkim[k][HREC_DKIM_DOMAIN], ...
 *	hrec_utf8_clean(buf, len);
 *
 * DESCRIPTION
 *	HREC_MSG_COLUMNS (and hrec_msg_columns) names the messages columns in the order of msg[]
 *	(history/schema.h documents each one); msg[i] == NULL is SQL NULL.
 *	The child tables message_rcpt, message_dkim and message_override
 *	get one row per rcpt[], dkim[] and over[] entry (seq = index), and
 *	failure_samples one row when has_sample (its time, policy_domain,
 *	header_from and source_ip are the message's).
 *
 *	hrec_from_item() fills r from a queued item (history_db.h): the
 *	strings point into the item (keep it alive while r is used), the
 *	numbers into r itself (do not copy an hrec_t by value and free the
 *	original).  row_uid and host are copied.
 *
 *	hrec_utf8_clean() replaces every byte of buf[0..len) that is not
 *	part of a valid UTF-8 sequence by '?', in place: PostgreSQL refuses
 *	text that is not valid in the database's encoding, and a client's
 *	HELO is whatever bytes it sent.  NUL bytes are left alone.
 */
#ifndef HISTORY_REC_H
#define HISTORY_REC_H

#include <stdbool.h>
#include <stddef.h>

#include "history_db.h"

enum hrec_msg_col {
	HREC_TIME, HREC_QID, HREC_SOURCE_IP, HREC_HELO, HREC_ENVELOPE_FROM,
	HREC_HEADER_FROM, HREC_POLICY_DOMAIN, HREC_ORG_DOMAIN, HREC_DISCOVERY,
	HREC_POLICY_FOUND, HREC_POLICY_P, HREC_POLICY_SP, HREC_POLICY_NP,
	HREC_POLICY_ADKIM, HREC_POLICY_ASPF, HREC_POLICY_PCT,
	HREC_POLICY_TESTING, HREC_POLICY_FO, HREC_POLICY_PSD, HREC_RESULT,
	HREC_DISP_REQUESTED, HREC_DISP_EVALUATED, HREC_DISP_APPLIED,
	HREC_NP_APPLIED, HREC_SAMPLED_OUT, HREC_SPF_DOMAIN, HREC_SPF_SCOPE,
	HREC_SPF_RESULT, HREC_SPF_ALIGNED, HREC_DKIM_ALIGNED, HREC_ARC_RESULT,
	HREC_ARC_SEALERS, HREC_POLICY_RUA, HREC_POLICY_RUF, HREC_IS_REPORT,
	HREC_ENVELOPE_TO, HREC_DKIM_SUMMARY, HREC_OVERRIDE_SUMMARY,
	HREC_ACTION, HREC_SMTP_REPLY, HREC_ROW_UID, HREC_HOST,
	HREC_MSG_COLS
};

enum { HREC_DKIM_DOMAIN, HREC_DKIM_SELECTOR, HREC_DKIM_RESULT,
	HREC_DKIM_ALIGNED_COL, HREC_DKIM_HUMAN, HREC_DKIM_COLS };
enum { HREC_OVER_REASON, HREC_OVER_COMMENT, HREC_OVER_COLS };
enum { HREC_SAMPLE_MAIL_FROM, HREC_SAMPLE_RUF, HREC_SAMPLE_AUTH,
	HREC_SAMPLE_HEADERS, HREC_SAMPLE_COLS };

#define HREC_UID_MAX 48
#define HREC_HOST_MAX 256

typedef struct hrec {
	const char *msg[HREC_MSG_COLS];
	unsigned nrcpt, ndkim, nover;
	const char *rcpt[HISTORY_MAX_RCPT_DOMAINS];
	const char *dkim[EVAL_MAX_DKIM][HREC_DKIM_COLS];
	const char *over[EVAL_MAX_OVERRIDES][HREC_OVER_COLS];
	bool has_sample;
	const char *sample[HREC_SAMPLE_COLS];
	/* Storage for the values hrec_from_item() formats. */
	char num[10][24];
	char uid[HREC_UID_MAX];
	char host[HREC_HOST_MAX];
} hrec_t;

#define HREC_MSG_COLUMNS \
	"time, qid, source_ip, helo, envelope_from, header_from," \
	" policy_domain, org_domain, discovery, policy_found, policy_p," \
	" policy_sp, policy_np, policy_adkim, policy_aspf, policy_pct," \
	" policy_testing, policy_fo, policy_psd, result," \
	" disposition_requested, disposition_evaluated, disposition_applied," \
	" np_applied, sampled_out, spf_domain, spf_scope, spf_result," \
	" spf_aligned, dkim_aligned, arc_result, arc_sealers, policy_rua," \
	" policy_ruf, is_report, envelope_to, dkim_summary, override_summary," \
	" action, smtp_reply, row_uid, host"
extern const char hrec_msg_columns[];

void hrec_from_item(hrec_t *r, const hist_item_t *it, const char *row_uid,
    const char *host);
void hrec_utf8_clean(char *buf, size_t len);

#endif
