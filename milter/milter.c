/*
 * milter - libmilter callbacks.  See milter.h.
 */
#include "milter.h"

#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "authres.h"
#include "../util/log.h"
#include "message.h"
#include "stats.h"

typedef struct milter_conn {
	connection_t conn;
	message_t *msg;
	bool leadspc;       /* MTA keeps the space after the colon */
	unsigned long noreply;  /* MILTER_NO_REPLY steps the MTA agreed to */
} milter_conn_t;

/* Events whose callbacks always answer "continue" (a missing message
 * state cannot happen after MAIL was accepted) need no reply: the MTA
 * sends them without waiting, which saves a round trip per header,
 * body chunk, recipient and HELO.  libmilter drops the answers of these
 * callbacks, so they must never decide anything.  DATA and unknown
 * commands have no callback at all and are not sent. */
#define MILTER_NO_REPLY (SMFIP_NR_HELO | SMFIP_NR_RCPT | SMFIP_NR_HDR | \
	SMFIP_NR_BODY)
#define MILTER_NOT_SENT (SMFIP_NODATA | SMFIP_NOUNKNOWN)

/* On TCP the round trip those steps save costs more than it gains: the
 * MTA's next small packet waits (Nagle) for the ACK of one we never
 * answer, and our stack delays that ACK ~40 ms.  That includes the
 * macros Postfix sends for DATA even when the DATA step itself is not
 * sent: the first header then waits for their ACK.  So on TCP every
 * step is sent and answered.  listener.c sets this for inet sockets,
 * before any connection. */
static bool milter_every_step_replied;

void milter_reply_every_step(bool on)
{
	milter_every_step_replied = on;
}

static milter_conn_t *conn_get(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

/* "Continue" for a step: libmilter wants SMFIS_NOREPLY when no reply was
 * agreed on (anything else is sent nowhere and logged as an error). */
static sfsistat proceed(const milter_conn_t *mc, unsigned long step)
{
	return mc != NULL && (mc->noreply & step) ? SMFIS_NOREPLY :
	    SMFIS_CONTINUE;
}

static void conn_end_message(milter_conn_t *mc)
{
	message_free(mc->msg);
	mc->msg = NULL;
}

static const char *macro(SMFICTX *ctx, const char *name)
{
	return smfi_getsymval(ctx, (char *)name);
}

static void client_address(const struct sockaddr *sa, char *out, size_t len)
{
	const void *addr = NULL;

	out[0] = '\0';
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		addr = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		addr = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (addr == NULL || inet_ntop(sa->sa_family, addr, out,
	    (socklen_t)len) == NULL)
		out[0] = '\0';
}

/* A LocalPolicyFile with rcpt entries needs an answer to every RCPT, to
 * refuse recipients whose settings differ from the first one's
 * (message.h).  Decided per connection, with the configuration current
 * now; a reload that adds rcpt entries takes effect on new connections
 * (an open one tempfails a message that mixes them: decide.h). */
static void rcpt_replies(milter_conn_t *mc, unsigned long *pf1)
{
	generation_t *gen = generation_current(dw_runtime->generations);

	if (localpolicy_has_rcpt(gen->localpolicy)) {
		mc->noreply &= ~(unsigned long)SMFIP_NR_RCPT;
		*pf1 &= ~(unsigned long)SMFIP_NR_RCPT;
	}
	generation_release(gen);
}

static sfsistat mlfi_negotiate(SMFICTX *ctx, unsigned long f0,
    unsigned long f1, unsigned long f2, unsigned long f3,
    unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
    unsigned long *pf3)
{
	milter_conn_t *mc = conn_get(ctx);

	if (mc == NULL) {
		mc = calloc(1, sizeof(*mc));
		if (mc == NULL)
			return SMFIS_REJECT;
		smfi_setpriv(ctx, mc);
	}
	mc->leadspc = (f1 & SMFIP_HDR_LEADSPC) != 0;
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE);
	mc->noreply = milter_every_step_replied ? 0 : f1 & MILTER_NO_REPLY;
	*pf1 = (f1 & SMFIP_HDR_LEADSPC) | mc->noreply |
	    (milter_every_step_replied ? 0 : f1 & MILTER_NOT_SENT);
	rcpt_replies(mc, pf1);
	*pf2 = 0;
	*pf3 = 0;
	(void)f2;
	(void)f3;
	return SMFIS_CONTINUE;
}

/* IgnoreNetworks, with the configuration gen. */
static bool conn_ignored(const milter_conn_t *mc, const generation_t *gen)
{
	return mc->conn.client_ip[0] == '\0' ||
	    netlist_match(gen->cfg->ignore_networks, mc->conn.client_ip);
}

/* The connection is checked with the configuration current at connect;
 * each message checks again with its own (mlfi_envfrom), so a reload
 * that adds a network applies from the next message of an open
 * connection.  A connection accepted here is over for the milter. */
static sfsistat mlfi_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	generation_t *gen;
	milter_conn_t *mc = conn_get(ctx);
	bool ignored;

	if (mc == NULL)
		mc = calloc(1, sizeof(*mc));
	if (mc == NULL)
		return SMFIS_TEMPFAIL;
	client_address(sa, mc->conn.client_ip, sizeof(mc->conn.client_ip));
	str_printable(mc->conn.client_host, sizeof(mc->conn.client_host),
	    host ? host : "", host ? strlen(host) : 0);
	smfi_setpriv(ctx, mc);
	gen = generation_current(dw_runtime->generations);
	ignored = conn_ignored(mc, gen);
	generation_release(gen);
	if (ignored) {
		log_debug("connection from %s [%s] ignored",
		    mc->conn.client_host, mc->conn.client_ip);
		stats_count_skip(STATS_SKIP_NETWORK);
		return SMFIS_ACCEPT;
	}
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_helo(SMFICTX *ctx, char *helo)
{
	milter_conn_t *mc = conn_get(ctx);

	if (mc && helo)
		str_copy(mc->conn.helo, sizeof(mc->conn.helo), helo);
	return proceed(mc, SMFIP_NR_HELO);
}

/* The message takes the current configuration (a generation) and keeps
 * it to its end, whatever a SIGHUP publishes meanwhile. */
static sfsistat mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	milter_conn_t *mc = conn_get(ctx);
	const char *auth = macro(ctx, "{auth_authen}");
	stats_skip_t skip = STATS_SKIP_MAX;
	generation_t *gen;

	if (mc == NULL)
		return SMFIS_TEMPFAIL;
	conn_end_message(mc);
	gen = generation_current(dw_runtime->generations);
	if (conn_ignored(mc, gen))
		skip = STATS_SKIP_NETWORK;
	else if (auth && *auth && gen->cfg->ignore_authenticated)
		skip = STATS_SKIP_AUTHENTICATED;
	if (skip != STATS_SKIP_MAX) {
		stats_count_skip(skip);
		generation_release(gen);
		return SMFIS_ACCEPT;
	}
	mc->msg = message_new(dw_runtime, gen, macro(ctx, "i"));
	if (mc->msg == NULL)
		return SMFIS_TEMPFAIL;
	message_mailfrom(mc->msg, argv[0] ? argv[0] : "");
	if (config_domain_listed(mc->msg->gen->cfg->ignore_sender_domains,
	    mc->msg->mailfrom_domain)) {
		conn_end_message(mc);
		stats_count_skip(STATS_SKIP_SENDER);
		return SMFIS_ACCEPT;
	}
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	milter_conn_t *mc = conn_get(ctx);

	if (mc == NULL || mc->msg == NULL)
		return SMFIS_TEMPFAIL;
	if (message_rcpt(mc->msg, argv[0] ? argv[0] : "",
	    (mc->noreply & SMFIP_NR_RCPT) == 0) < 0) {
		smfi_setreply(ctx, "452", "4.7.1", "Recipient has different "
		    "DMARC settings, send it in another transaction");
		return SMFIS_TEMPFAIL;
	}
	return proceed(mc, SMFIP_NR_RCPT);
}

static sfsistat mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	milter_conn_t *mc = conn_get(ctx);

	if (mc == NULL || mc->msg == NULL)
		return SMFIS_TEMPFAIL;
	message_header(mc->msg, name, value, mc->leadspc);
	return proceed(mc, SMFIP_NR_HDR);
}

static sfsistat mlfi_eoh(SMFICTX *ctx)
{
	milter_conn_t *mc = conn_get(ctx);

	if (mc == NULL || mc->msg == NULL)
		return SMFIS_TEMPFAIL;
	if (mc->msg->nrcpt > 0 && mc->msg->rcpt_all_ignored) {
		conn_end_message(mc);
		stats_count_skip(STATS_SKIP_RECIPIENT);
		return SMFIS_ACCEPT;
	}
	message_eoh(mc->msg);
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_body(SMFICTX *ctx, unsigned char *p, size_t n)
{
	milter_conn_t *mc = conn_get(ctx);

	if (mc == NULL || mc->msg == NULL)
		return SMFIS_TEMPFAIL;
	message_body(mc->msg, p, n);
	return proceed(mc, SMFIP_NR_BODY);
}

/* Remove forged Authentication-Results (highest index first, so the
 * remaining indices stay valid), then add ours at the top. */
/* With SMFIP_HDR_LEADSPC the MTA also takes the values of added headers
 * verbatim, so they must bring their own space after the colon. */
static int add_header(SMFICTX *ctx, const milter_conn_t *mc, bool insert,
    const char *name, const char *value)
{
	strbuf_t sb;
	int rc;

	strbuf_init(&sb, AUTHRES_MAX + 1);
	if (mc->leadspc)
		strbuf_putc(&sb, ' ');
	strbuf_puts(&sb, value);
	if (insert)
		rc = smfi_insheader(ctx, 0, (char *)name, sb.s);
	else
		rc = smfi_addheader(ctx, (char *)name, sb.s);
	strbuf_free(&sb);
	return rc;
}

static void apply_headers(SMFICTX *ctx, const milter_conn_t *mc,
    const message_t *m, const outcome_t *out)
{
	size_t i;

	for (i = m->nforged; i > 0; i--)
		if (smfi_chgheader(ctx, "Authentication-Results",
		    (int)m->forged[i - 1], NULL) != MI_SUCCESS)
			log_warn("%s: cannot remove forged "
			    "Authentication-Results", m->qid);
	if (m->forged_overflow)
		log_warn("%s: more than %d forged Authentication-Results",
		    m->qid, MSG_MAX_FORGED);
	if (add_header(ctx, mc, true, "Authentication-Results",
	    strbuf_str(&out->authres)) != MI_SUCCESS)
		log_warn("%s: cannot add Authentication-Results", m->qid);
}

static sfsistat apply_decision(SMFICTX *ctx, const milter_conn_t *mc,
    const outcome_t *out)
{
	const config_t *cfg = mc->msg->gen->cfg;
	const decision_t *d = &out->decision;

	switch (d->action) {
	case ACTION_REJECT:
	case ACTION_TEMPFAIL:
		smfi_setreply(ctx, (char *)d->rcode, (char *)d->xcode,
		    (char *)d->text);
		return d->action == ACTION_REJECT ? SMFIS_REJECT :
		    SMFIS_TEMPFAIL;
	case ACTION_QUARANTINE:
		if (cfg->quarantine_mode == QUARANTINE_HOLD)
			smfi_quarantine(ctx, (char *)d->text);
		else
			add_header(ctx, mc, false, cfg->quarantine_header,
			    d->text);
		return SMFIS_ACCEPT;
	case ACTION_ACCEPT:
		break;
	}
	return SMFIS_ACCEPT;
}

static sfsistat mlfi_eom(SMFICTX *ctx)
{
	const runtime_t *rt = dw_runtime;
	milter_conn_t *mc = conn_get(ctx);
	outcome_t out;
	sfsistat rc;

	if (mc == NULL || mc->msg == NULL)
		return SMFIS_TEMPFAIL;
	if (macro(ctx, "i"))
		message_set_qid(mc->msg, macro(ctx, "i"));
	message_finish(rt, &mc->conn, mc->msg, &out);
	apply_headers(ctx, mc, mc->msg, &out);
	rc = apply_decision(ctx, mc, &out);
	log_info("%s", strbuf_str(&out.logline));
	stats_count_message(out.evaluated ? &out.verdict : NULL,
	    out.decision.action);
	if (out.evaluated && rt->history)
		history_submit(rt->history, &out.row);
	outcome_free(&out);
	conn_end_message(mc);
	return rc;
}

static sfsistat mlfi_abort(SMFICTX *ctx)
{
	milter_conn_t *mc = conn_get(ctx);

	if (mc)
		conn_end_message(mc);
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_close(SMFICTX *ctx)
{
	milter_conn_t *mc = conn_get(ctx);

	if (mc) {
		conn_end_message(mc);
		free(mc);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc milter_desc = {
	.xxfi_name = "dmarcwarden",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
	.xxfi_connect = mlfi_connect,
	.xxfi_helo = mlfi_helo,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_negotiate = mlfi_negotiate,
};

int milter_register(void)
{
	return smfi_register(milter_desc) == MI_SUCCESS ? 0 : -1;
}
