/*
 * mload_session - one SMTP session through a milter chain.  See
 * mload_session.h.
 */
#include "mload_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MTA_HOSTNAME "mx.test.local"
#define MTA_VERSION "Postfix 3.7.11"
#define MTA_ADDR "127.0.0.1"
#define HEADER_PACKET_MAX (MLOAD_MAX_PACKET - 16)

typedef struct hitem {
	const char *name;
	const char *value;      /* as in the message: after the colon */
	char *own;              /* allocation holding name and value */
} hitem_t;

typedef struct session {
	const mload_chain_t *ch;
	const mload_msg_t *m;
	mload_outcome_t *out;
	mload_conn_t conn[MLOAD_MAX_CHAIN];
	bool done[MLOAD_MAX_CHAIN];     /* milter accepted: no more events */
	bool over;                      /* decided, or an error */
	bool hold;
	char qid[16];
	hitem_t *hdr;
	size_t nhdr, cap;
	strbuf_t scratch;
	struct timespec t0;
} session_t;

static const char *const final_names[] = { "accept", "hold", "reject",
    "tempfail", "discard", "error" };

const char *mload_final_name(mload_final_t f)
{
	return (unsigned)f < MLOAD_FINAL_COUNT ? final_names[f] : "?";
}

static double elapsed_us(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e6 +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e3;
}

static void session_error(session_t *s, size_t k, const char *stage)
{
	if (s->over)
		return;
	s->over = true;
	s->out->final = MLOAD_FINAL_ERROR;
	s->out->stage = stage;
	s->out->latency_us = elapsed_us(&s->t0);
	str_format(s->out->err, sizeof(s->out->err), "milter %zu (%s) at %s: "
	    "%s", k + 1, s->ch->ep[k].spec, stage, s->conn[k].err);
}

/* Act on one reply; true when the message is over. */
static bool take_reply(session_t *s, size_t k, const mload_reply_t *r,
    const char *stage)
{
	mload_outcome_t *out = s->out;

	if (r->quarantine) {
		s->hold = true;
		str_copy(out->quarantine, sizeof(out->quarantine),
		    r->quarantine_reason);
	}
	switch (r->action) {
	case MLOAD_ACCEPT:
		s->done[k] = true;
		return false;
	case MLOAD_REJECT:
		out->final = MLOAD_FINAL_REJECT;
		break;
	case MLOAD_TEMPFAIL:
		out->final = MLOAD_FINAL_TEMPFAIL;
		break;
	case MLOAD_DISCARD:
		out->final = MLOAD_FINAL_DISCARD;
		break;
	default:
		return false;
	}
	str_copy(out->reply, sizeof(out->reply), r->text);
	out->stage = stage;
	out->latency_us = elapsed_us(&s->t0);
	s->over = true;
	return true;
}

/* Macros and one event to milter k; -1 on a protocol error. */
static int send_event(session_t *s, size_t k, char event, const void *data,
    size_t len, const char *const *mname, const char *const *mvalue,
    size_t nmacro, mload_reply_t *r, const char *stage)
{
	mload_conn_t *c = &s->conn[k];

	if (mload_conn_macros(c, event, mname, mvalue, nmacro) < 0 ||
	    mload_conn_event(c, event, data, len, r) < 0) {
		mload_reply_free(r);
		session_error(s, k, stage);
		return -1;
	}
	return 0;
}

/* One SMTP-level event to every milter still interested, in order. */
static void smtp_event(session_t *s, char event, const void *data,
    size_t len, const char *const *mname, const char *const *mvalue,
    size_t nmacro, const char *stage)
{
	mload_reply_t r;
	size_t k;

	for (k = 0; k < s->ch->n && !s->over; k++) {
		if (s->done[k])
			continue;
		if (send_event(s, k, event, data, len, mname, mvalue, nmacro,
		    &r, stage) < 0)
			return;
		take_reply(s, k, &r, stage);
		mload_reply_free(&r);
	}
}

static const char *addr_domain(const char *addr, char *buf, size_t size)
{
	const char *at = strrchr(addr, '@');

	if (at == NULL)
		return NULL;
	str_ncopy(buf, size, at + 1, strcspn(at + 1, ">"));
	return buf;
}

static void bare_addr(const char *addr, char *buf, size_t size)
{
	size_t n = strlen(addr);

	if (n >= 2 && addr[0] == '<' && addr[n - 1] == '>')
		str_ncopy(buf, size, addr + 1, n - 2);
	else
		str_copy(buf, size, addr);
}

static void do_connect(session_t *s, unsigned long seq)
{
	const mload_msg_t *m = s->m;
	static const char *const names[] = { "j", "{daemon_name}",
	    "{daemon_addr}", "v", "_" };
	const char *values[5] = { MTA_HOSTNAME, MTA_HOSTNAME, MTA_ADDR,
	    MTA_VERSION, NULL };
	char under[600], host[300], data[700];
	unsigned port = 1024 + (unsigned)(seq % 60000);
	size_t hl, al;

	str_format(under, sizeof(under), "%s [%s]", m->client_name[0] ?
	    m->client_name : "unknown", m->client_ip);
	values[4] = under;
	if (m->client_name[0])
		str_copy(host, sizeof(host), m->client_name);
	else
		str_format(host, sizeof(host), "[%s]", m->client_ip);
	hl = strlen(host) + 1;
	al = strlen(m->client_ip) + 1;
	memcpy(data, host, hl);
	data[hl] = strchr(m->client_ip, ':') ? SMFIA_INET6 : SMFIA_INET;
	data[hl + 1] = (char)(port >> 8);
	data[hl + 2] = (char)(port & 0xff);
	memcpy(data + hl + 3, m->client_ip, al);
	smtp_event(s, SMFIC_CONNECT, data, hl + 3 + al, names, values, 5,
	    "connect");
	if (!s->over)
		smtp_event(s, SMFIC_HELO, m->helo, strlen(m->helo) + 1, NULL,
		    NULL, 0, "helo");
}

static void do_mail(session_t *s)
{
	const mload_msg_t *m = s->m;
	static const char *const names[] = { "{mail_addr}", "{mail_mailer}",
	    "{mail_host}", "{auth_type}", "{auth_authen}" };
	const char *values[5];
	char bare[MLOAD_ADDR_MAX], dom[MLOAD_ADDR_MAX];

	bare_addr(m->mail_from, bare, sizeof(bare));
	values[0] = bare;
	values[1] = "smtp";
	values[2] = addr_domain(bare, dom, sizeof(dom));
	values[3] = m->auth[0] ? "PLAIN" : NULL;
	values[4] = m->auth[0] ? m->auth : NULL;
	smtp_event(s, SMFIC_MAIL, m->mail_from, strlen(m->mail_from) + 1,
	    names, values, 5, "mail");
}

/* Each recipient goes to the milters in order until one rejects it. */
static void do_rcpts(session_t *s)
{
	static const char *const names[] = { "{rcpt_addr}", "{rcpt_host}",
	    "{rcpt_mailer}" };
	const char *values[3];
	char bare[MLOAD_ADDR_MAX], dom[MLOAD_ADDR_MAX];
	mload_reply_t r;
	size_t i, k, rejected = 0;
	bool refused;

	for (i = 0; i < s->m->nrcpt && !s->over; i++) {
		bare_addr(s->m->rcpt[i], bare, sizeof(bare));
		values[0] = bare;
		values[1] = addr_domain(bare, dom, sizeof(dom));
		values[2] = "smtp";
		refused = false;
		for (k = 0; k < s->ch->n && !refused && !s->over; k++) {
			if (s->done[k])
				continue;
			if (send_event(s, k, SMFIC_RCPT, s->m->rcpt[i],
			    strlen(s->m->rcpt[i]) + 1, names, values, 3, &r,
			    "rcpt") < 0)
				return;
			if (r.action == MLOAD_REJECT ||
			    r.action == MLOAD_TEMPFAIL) {
				refused = true;
				rejected++;
				if (rejected == s->m->nrcpt)
					take_reply(s, k, &r, "rcpt");
			} else
				take_reply(s, k, &r, "rcpt");
			mload_reply_free(&r);
		}
	}
}

/* ---------------------------------------------------------- header list */

static void hdr_insert(session_t *s, size_t at, const char *name,
    const char *value, bool leadspc)
{
	size_t nl = strlen(name) + 1, vl = strlen(value) + 1;
	char *own;

	if (s->nhdr == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 32;
		if ((s->hdr = realloc(s->hdr, s->cap * sizeof(*s->hdr))) ==
		    NULL)
			abort();
	}
	if ((own = malloc(nl + vl + 1)) == NULL)
		abort();
	memcpy(own, name, nl);
	/* Postfix stores "Name: value" for milters that send no space. */
	own[nl] = ' ';
	memcpy(own + nl + (leadspc ? 0 : 1), value, vl);
	if (at > s->nhdr)
		at = s->nhdr;
	memmove(s->hdr + at + 1, s->hdr + at, (s->nhdr - at) *
	    sizeof(*s->hdr));
	s->hdr[at].name = own;
	s->hdr[at].value = own + nl;
	s->hdr[at].own = own;
	s->nhdr++;
}

/* The index-th (1-based) field called name, or nhdr. */
static size_t hdr_find(const session_t *s, const char *name, unsigned index)
{
	size_t i;
	unsigned seen = 0;

	for (i = 0; i < s->nhdr; i++)
		if (strcasecmp(s->hdr[i].name, name) == 0 &&
		    ++seen == (index ? index : 1))
			return i;
	return s->nhdr;
}

static void hdr_change(session_t *s, const mload_edit_t *e, bool leadspc)
{
	size_t at = hdr_find(s, e->name, e->index);

	if (at == s->nhdr) {
		if (e->value[0])
			hdr_insert(s, s->nhdr, e->name, e->value, leadspc);
		return;
	}
	free(s->hdr[at].own);
	memmove(s->hdr + at, s->hdr + at + 1, (s->nhdr - at - 1) *
	    sizeof(*s->hdr));
	s->nhdr--;
	if (e->value[0])
		hdr_insert(s, at, e->name, e->value, leadspc);
}

static void record_edit(strbuf_t *sb, size_t k, const mload_edit_t *e)
{
	const char *p;

	strbuf_appendf(sb, "%zu\t%s\t%u\t%s\t", k + 1,
	    e->cmd == SMFIR_ADDHEADER ? "add" : e->cmd == SMFIR_INSHEADER ?
	    "insert" : "change", e->index, e->name);
	for (p = e->value; *p; p++) {
		if (*p == '\\')
			strbuf_puts(sb, "\\\\");
		else if (*p == '\t')
			strbuf_puts(sb, "\\t");
		else if (*p == '\n')
			strbuf_puts(sb, "\\n");
		else if (*p == '\r')
			strbuf_puts(sb, "\\r");
		else
			strbuf_putc(sb, *p);
	}
	strbuf_putc(sb, '\n');
}

static void apply_edits(session_t *s, size_t k, const mload_reply_t *r)
{
	bool leadspc = (s->conn[k].protocol & SMFIP_HDR_LEADSPC) != 0;
	const mload_edit_t *e;
	size_t i;

	for (i = 0; i < r->nedit; i++) {
		e = &r->edit[i];
		if (s->ch->record)
			record_edit(&s->out->edits, k, e);
		if (e->cmd == SMFIR_ADDHEADER)
			hdr_insert(s, s->nhdr, e->name, e->value, leadspc);
		else if (e->cmd == SMFIR_INSHEADER)
			hdr_insert(s, e->index, e->name, e->value, leadspc);
		else
			hdr_change(s, e, leadspc);
	}
}

/* --------------------------------------------------------------- message */

/* Headers to milter k; false when the message ended for it. */
static bool send_headers(session_t *s, size_t k, const char *const *mname,
    const char *const *mvalue)
{
	bool leadspc = (s->conn[k].protocol & SMFIP_HDR_LEADSPC) != 0;
	const char *v;
	mload_reply_t r;
	size_t i;

	for (i = 0; i < s->nhdr; i++) {
		v = s->hdr[i].value;
		if (!leadspc && *v == ' ')
			v++;
		strbuf_reset(&s->scratch);
		strbuf_append(&s->scratch, s->hdr[i].name,
		    strlen(s->hdr[i].name) + 1);
		strbuf_append(&s->scratch, v, strlen(v) + 1);
		if (s->scratch.truncated)
			continue;       /* Postfix would not get this far */
		if (send_event(s, k, SMFIC_HEADER, s->scratch.s,
		    s->scratch.len, mname, mvalue, 1, &r, "header") < 0)
			return false;
		take_reply(s, k, &r, "header");
		if (s->over || s->done[k])
			return false;
		if (r.action == MLOAD_SKIP)
			break;
	}
	return true;
}

static bool send_body(session_t *s, size_t k, const char *const *mname,
    const char *const *mvalue)
{
	const mload_msg_t *m = s->m;
	size_t off, n;
	mload_reply_t r;

	for (off = 0; off < m->body_len; off += n) {
		n = m->body_len - off;
		if (n > MILTER_CHUNK_SIZE)
			n = MILTER_CHUNK_SIZE;
		if (send_event(s, k, SMFIC_BODY, m->body + off, n, mname,
		    mvalue, 1, &r, "body") < 0)
			return false;
		take_reply(s, k, &r, "body");
		if (s->over || s->done[k])
			return false;
		if (r.action == MLOAD_SKIP)
			break;
	}
	return true;
}

/* The message as the previous milters left it, to milter k. */
static void message_to(session_t *s, size_t k)
{
	static const char *const mname[] = { "i" };
	const char *mvalue[] = { s->qid };
	mload_reply_t r;

	if (!send_headers(s, k, mname, mvalue))
		return;
	if (send_event(s, k, SMFIC_EOH, "", 0, mname, mvalue, 1, &r,
	    "eoh") < 0)
		return;
	if (take_reply(s, k, &r, "eoh") || s->done[k])
		return;
	if (!send_body(s, k, mname, mvalue))
		return;
	if (send_event(s, k, SMFIC_BODYEOB, "", 0, mname, mvalue, 1, &r,
	    "eom") < 0)
		return;
	apply_edits(s, k, &r);
	take_reply(s, k, &r, "eom");
	mload_reply_free(&r);
}

static void do_message(session_t *s)
{
	static const char *const mname[] = { "i" };
	const char *mvalue[] = { s->qid };
	size_t i, k;

	smtp_event(s, SMFIC_DATA, "", 0, mname, mvalue, 1, "data");
	s->cap = s->m->nhdr + 16;
	if ((s->hdr = calloc(s->cap, sizeof(*s->hdr))) == NULL)
		abort();
	for (i = 0; i < s->m->nhdr; i++) {
		s->hdr[i].name = s->m->hdr[i].name;
		s->hdr[i].value = s->m->hdr[i].value;
	}
	s->nhdr = s->m->nhdr;
	for (k = 0; k < s->ch->n && !s->over; k++)
		if (!s->done[k])
			message_to(s, k);
}

static void session_end(session_t *s)
{
	size_t k, i;

	for (k = 0; k < s->ch->n; k++) {
		if (s->conn[k].fd < 0)
			continue;
		/* mail_reset after the message, then ABORT and QUIT. */
		mload_conn_abort(&s->conn[k]);
		mload_conn_abort(&s->conn[k]);
		mload_conn_quit(&s->conn[k]);
	}
	for (i = 0; i < s->nhdr; i++)
		free(s->hdr[i].own);
	free(s->hdr);
	strbuf_free(&s->scratch);
}

void mload_session_run(const mload_chain_t *ch, const mload_msg_t *m,
    unsigned long seq, mload_outcome_t *out)
{
	session_t s;
	size_t k;

	memset(out, 0, sizeof(*out));
	strbuf_init(&out->edits, 1024 * 1024);
	memset(&s, 0, sizeof(s));
	s.ch = ch;
	s.m = m;
	s.out = out;
	strbuf_init(&s.scratch, HEADER_PACKET_MAX);
	str_format(s.qid, sizeof(s.qid), "%010lX", (seq * 2654435761UL +
	    0x5A17UL) & 0xFFFFFFFFFFUL);
	for (k = 0; k < ch->n; k++)
		s.conn[k].fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &s.t0);
	for (k = 0; k < ch->n && !s.over; k++)
		if (mload_conn_open(&s.conn[k], &ch->ep[k], ch->timeout_ms) <
		    0)
			session_error(&s, k, "negotiate");
		else
			s.conn[k].postfix_writes = ch->postfix_writes;
	if (!s.over)
		do_connect(&s, seq);
	if (!s.over)
		do_mail(&s);
	if (!s.over)
		do_rcpts(&s);
	if (!s.over)
		do_message(&s);
	if (!s.over) {
		out->final = s.hold ? MLOAD_FINAL_HOLD : MLOAD_FINAL_ACCEPT;
		out->stage = "eom";
		out->latency_us = elapsed_us(&s.t0);
	}
	session_end(&s);
}

void mload_outcome_free(mload_outcome_t *out)
{
	if (out)
		strbuf_free(&out->edits);
}
