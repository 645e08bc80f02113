/*
 * spf - SPF (RFC 7208) checks with libspf2 behind dmarcwarden's resolver.
 *
 * DESIGN
 *	One SPF_server_t per checker, shared by all threads.  After
 *	SPF_server_new_dns() libspf2 only reads it during a check (resolver,
 *	limits, default explanation, receiving domain); everything a check
 *	mutates lives in its own SPF_request_t/SPF_response_t.  libspf2's DNS
 *	layer callback gets no request pointer, so the per-check state (the
 *	RFC 7208 4.6.4 counters) is reached through a thread-local pointer
 *	that spf_check() sets for the duration of the check.
 *
 *	The DNS layer (SPF_dns_server_t) answers libspf2 from dns_lookup().
 *	Its get_spf hook replaces libspf2's record selection: TXT only (type
 *	SPF is never queried), exactly one "v=spf1" record, a strict syntax
 *	check (spf_syntax.c) before libspf2 compiles it.
 *
 *	Counting DNS-querying terms from the DNS layer: every record fetch
 *	after the first (include, redirect), every MX and PTR query, and every
 *	A/AAAA query that is not the address lookup of a name an MX or PTR
 *	answer just gave (those are limited per mechanism instead: more than
 *	10 MX names is a permerror, PTR answers are cut to 10 names).  Void
 *	lookups are counted on the same term queries.  When a limit is passed
 *	the layer answers TRY_AGAIN so that libspf2 stops at once, and the
 *	result is rewritten to permerror.  TXT queries through the plain
 *	lookup hook only come from exp=, which counts for nothing.
 *
 *	libspf2 gives loopback clients a free pass in its query functions;
 *	spf_check() therefore drives SPF_server_get_record() and
 *	SPF_record_interpret() itself.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>

#include "../util/strbuf.h"
#include "spf.h"
#include "../policy/spf_syntax.h"

#define SPF_MAX_TERMS 10      /* RFC 7208 4.6.4 */
#define SPF_MAX_VOIDS 2
#define SPF_MAX_NAMES 10      /* MX names, PTR names */
#define SPF_NAME_MAX 256

struct spf_checker {
	dns_resolver_t *resolver;
	SPF_server_t *server;
	SPF_dns_server_t layer;
};

typedef struct spf_ctx {
	unsigned terms;
	unsigned voids;
	unsigned records;          /* SPF records fetched */
	bool in_exp;               /* evaluating exp=, nothing counts */
	bool ptr_mech;             /* some record has a ptr mechanism */
	bool p_macro;              /* some record has a %{p} macro */
	bool pending_any;          /* pending names came from a CIDR-0 mx */
	bool pending_ptr;          /* pending names came from a PTR answer */
	int client_af;
	unsigned char client[16];  /* the client address, client_af */
	bool over_limit;
	bool syntax_error;
	size_t npending;           /* MX/PTR names awaiting address lookups */
	char pending[SPF_MAX_NAMES][SPF_NAME_MAX];
	char why[SPF_REASON_MAX];
} spf_ctx_t;

static _Thread_local spf_ctx_t *spf_current;

static void spf_log_quiet(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	(void)msg;
}

/* Domain name in wire format (uncompressed, as libunbound returns RDATA)
 * to text without trailing dot.  Returns -1 on malformed names or bytes
 * that cannot be a host name character. */
static int wire_name(const unsigned char *p, size_t n, char *out,
    size_t outlen)
{
	size_t i = 0, o = 0;

	while (i < n && p[i] != 0) {
		size_t lab = p[i++], k;

		if (lab > 63 || i + lab > n)
			return -1;
		if (o > 0 && o < outlen)
			out[o++] = '.';
		for (k = 0; k < lab; k++) {
			unsigned char c = p[i + k];

			if (c <= 0x20 || c >= 0x7f || c == '.' || o + 1 >= outlen)
				return -1;
			out[o++] = (char)c;
		}
		i += lab;
	}
	if (i >= n || o >= outlen)
		return -1;
	out[o] = '\0';
	return 0;
}

/* TXT RDATA: the character-strings concatenated (RFC 7208 3.3). */
static int wire_txt(const unsigned char *p, size_t n, strbuf_t *sb)
{
	size_t i = 0;

	while (i < n) {
		size_t len = p[i++];

		if (i + len > n)
			return -1;
		strbuf_append(sb, (const char *)p + i, len);
		i += len;
	}
	return sb->truncated ? -1 : 0;
}

static int herrno_of(dnsops_status_t s)
{
	switch (s) {
	case DNSOPS_OK:
		return NETDB_SUCCESS;
	case DNSOPS_NODATA:
		return NO_DATA;
	case DNSOPS_NXDOMAIN:
		return HOST_NOT_FOUND;
	default:
		return TRY_AGAIN;
	}
}

static void rr_add(SPF_dns_rr_t *rr, const void *data, size_t len)
{
	if (SPF_dns_rr_buf_realloc(rr, rr->num_rr, len) != SPF_E_SUCCESS)
		abort();
	memcpy(rr->rr[rr->num_rr], data, len);
	rr->num_rr++;
}

/* One record of a libunbound answer into the libspf2 answer. */
static void rr_add_wire(SPF_dns_rr_t *rr, ns_type t, const unsigned char *p,
    size_t n)
{
	char name[SPF_NAME_MAX];
	strbuf_t sb;

	switch (t) {
	case ns_t_a:
		if (n == 4)
			rr_add(rr, p, 4);
		break;
	case ns_t_aaaa:
		if (n == 16)
			rr_add(rr, p, 16);
		break;
	case ns_t_mx:
		if (n > 2 && wire_name(p + 2, n - 2, name, sizeof(name)) == 0)
			rr_add(rr, name, strlen(name) + 1);
		break;
	case ns_t_ptr:
		if (wire_name(p, n, name, sizeof(name)) == 0)
			rr_add(rr, name, strlen(name) + 1);
		break;
	case ns_t_txt:
		strbuf_init(&sb, SPF_SYNTAX_MAX_LEN);
		if (wire_txt(p, n, &sb) == 0 && strlen(strbuf_str(&sb)) == sb.len)
			rr_add(rr, strbuf_str(&sb), sb.len + 1);
		strbuf_free(&sb);
		break;
	default:
		break;
	}
}

static SPF_dns_rr_t *rr_from_result(SPF_dns_server_t *d, const char *domain,
    ns_type t, const dns_result_t *res)
{
	SPF_dns_rr_t *rr;
	size_t i;

	rr = SPF_dns_rr_new_init(d, domain, t, (int)res->ttl,
	    herrno_of(res->status));
	if (rr == NULL)
		abort();
	if (res->status != DNSOPS_OK)
		return rr;
	for (i = 0; i < res->count && i < DNS_MAX_RR; i++) {
		/* RFC 7208 4.6.4: only the first 10 PTR names are used. */
		if (t == ns_t_ptr && rr->num_rr >= SPF_MAX_NAMES)
			break;
		rr_add_wire(rr, t, res->data[i], res->len[i]);
	}
	if (rr->num_rr == 0)
		rr->herrno = NO_DATA;
	return rr;
}

static void limit_hit(spf_ctx_t *x, const char *why)
{
	if (!x->over_limit) {
		x->over_limit = true;
		str_copy(x->why, sizeof(x->why), why);
	}
}

/* One more DNS-querying term; false when that passes the limit. */
static bool count_term(spf_ctx_t *x)
{
	if (++x->terms > SPF_MAX_TERMS)
		limit_hit(x, "more than 10 DNS-querying terms");
	return !x->over_limit;
}

static bool count_void(spf_ctx_t *x, int herrno)
{
	if (herrno != HOST_NOT_FOUND && herrno != NO_DATA)
		return true;
	if (++x->voids > SPF_MAX_VOIDS)
		limit_hit(x, "more than 2 void lookups");
	return !x->over_limit;
}

/* Is this A/AAAA query the address lookup of a pending MX/PTR name? */
static bool take_pending(spf_ctx_t *x, const char *domain)
{
	size_t i;

	for (i = 0; i < x->npending; i++) {
		if (strcasecmp(x->pending[i], domain) == 0) {
			x->npending--;
			memmove(x->pending[i], x->pending[i + 1],
			    (x->npending - i) * sizeof(x->pending[0]));
			return true;
		}
	}
	return false;
}

static void set_pending(spf_ctx_t *x, const SPF_dns_rr_t *rr)
{
	int i;

	x->npending = 0;
	for (i = 0; i < rr->num_rr && x->npending < SPF_MAX_NAMES; i++)
		str_copy(x->pending[x->npending++], SPF_NAME_MAX,
		    rr->rr[i]->mx);
}

/* Before the query: is it a term?  false = refuse (limit passed). */
static bool before_query(spf_ctx_t *x, const char *domain, ns_type t,
    bool *term)
{
	*term = false;
	if (x->over_limit)
		return false;
	if (t == ns_t_txt)
		x->in_exp = true;
	if (x->in_exp)
		return true;
	if ((t == ns_t_a || t == ns_t_aaaa) && take_pending(x, domain))
		return true;
	x->npending = 0;
	x->pending_any = false;
	/* PTR queries of a %{p} expansion are no term (RFC 7208 4.6.4);
	 * when a check has both ptr and %{p}, they count (the safe side). */
	if (t == ns_t_ptr && x->p_macro && !x->ptr_mech)
		return true;
	*term = true;
	return count_term(x);
}

/* After the answer: void lookups of terms, MX/PTR names. */
static bool after_query(spf_ctx_t *x, ns_type t, bool term,
    const SPF_dns_rr_t *rr)
{
	if (term && !count_void(x, rr->herrno))
		return false;
	if (t == ns_t_mx && rr->num_rr > SPF_MAX_NAMES) {
		limit_hit(x, "more than 10 MX names");
		return false;
	}
	if (t == ns_t_mx || t == ns_t_ptr) {
		set_pending(x, rr);
		x->pending_ptr = t == ns_t_ptr;
	}
	return true;
}

/* A CIDR length of 0 (rewritten by spf_syntax_rewrite()): any address
 * of the name matches, so answer with the client address itself. */
static SPF_dns_rr_t *any_address(SPF_dns_server_t *d, SPF_dns_rr_t *rr,
    const char *domain, ns_type t, const spf_ctx_t *x)
{
	if (rr->num_rr == 0 || rr->herrno != NETDB_SUCCESS)
		return rr;
	SPF_dns_rr_free(rr);
	rr = SPF_dns_rr_new_init(d, domain, t, 0, NETDB_SUCCESS);
	if (rr == NULL)
		abort();
	rr_add(rr, x->client, x->client_af == AF_INET6 ? 16 : 4);
	return rr;
}

/* Strip SPF_SYNTAX_CIDR0_LABEL from a query name. */
static const char *cidr0_strip(const char *domain, bool *cidr0)
{
	size_t n = strlen(SPF_SYNTAX_CIDR0_LABEL);

	*cidr0 = strncasecmp(domain, SPF_SYNTAX_CIDR0_LABEL, n) == 0
	    && domain[n] == '.';
	return *cidr0 ? domain + n + 1 : domain;
}

static SPF_dns_rr_t *layer_lookup(SPF_dns_server_t *d, const char *domain,
    ns_type t, int should_cache)
{
	spf_checker_t *c = d->hook;
	spf_ctx_t *x = spf_current;
	SPF_dns_rr_t *rr;
	dns_result_t res;
	bool term = false, cidr0, any, ptr_name;

	(void)should_cache;
	/* RFC 7208 3.1: type SPF is gone; never query it. */
	if (t == ns_t_spf)
		return SPF_dns_rr_new_init(d, domain, t, 0, NO_DATA);
	domain = cidr0_strip(domain, &cidr0);
	any = x != NULL && x->pending_any;
	ptr_name = x != NULL && x->pending_ptr;
	if (x != NULL && !before_query(x, domain, t, &term))
		return SPF_dns_rr_new_init(d, domain, t, 0, TRY_AGAIN);
	dns_lookup(c->resolver, domain, (int)t, &res);
	rr = rr_from_result(d, domain, t, &res);
	/* RFC 7208 5.5: a PTR name whose address lookup fails is skipped. */
	if (x != NULL && !term && ptr_name && res.status == DNSOPS_TEMPFAIL
	    && (t == ns_t_a || t == ns_t_aaaa) && !x->in_exp) {
		rr->herrno = NO_DATA;
		dns_result_free(&res);
		return rr;
	}
	if (x != NULL && res.status == DNSOPS_TEMPFAIL && !x->in_exp)
		str_format(x->why, sizeof(x->why), "DNS %s: %s", domain,
		    res.reason);
	dns_result_free(&res);
	if (x == NULL || x->in_exp)
		return rr;
	if (!after_query(x, t, term, rr)) {
		SPF_dns_rr_free(rr);
		return SPF_dns_rr_new_init(d, domain, t, 0, TRY_AGAIN);
	}
	if (t == ns_t_mx)
		x->pending_any = cidr0;
	else if ((t == ns_t_a || t == ns_t_aaaa) && (cidr0 || (any && !term)))
		rr = any_address(d, rr, domain, t, x);
	return rr;
}

/* Select the one v=spf1 record of a TXT answer into sb. */
static SPF_errcode_t select_record(const dns_result_t *res, strbuf_t *sb,
    SPF_response_t *resp, const char *domain)
{
	size_t i, found = 0;
	strbuf_t t;

	for (i = 0; i < res->count && i < DNS_MAX_RR; i++) {
		strbuf_init(&t, SPF_SYNTAX_MAX_LEN * 4);
		if (wire_txt(res->data[i], res->len[i], &t) == 0
		    && spf_syntax_is_spf1(strbuf_str(&t), t.len)) {
			if (found++ == 0)
				strbuf_append(sb, strbuf_str(&t), t.len);
		}
		strbuf_free(&t);
	}
	if (found == 0)
		return SPF_response_add_error(resp, SPF_E_NOT_SPF,
		    "No SPF record for '%s'", domain);
	if (found > 1)
		return SPF_response_add_error(resp, SPF_E_MULTIPLE_RECORDS,
		    "Multiple SPF records for '%s'", domain);
	return SPF_E_SUCCESS;
}

static SPF_errcode_t fetch_record(spf_checker_t *c, spf_ctx_t *x,
    const char *domain, SPF_response_t *resp, strbuf_t *sb)
{
	SPF_errcode_t err;
	dns_result_t res;
	bool term = x->records++ > 0;   /* include or redirect */

	x->npending = 0;
	if (term && !count_term(x))
		return SPF_E_BIG_DNS;
	dns_lookup(c->resolver, domain, DNS_T_TXT, &res);
	switch (res.status) {
	case DNSOPS_TEMPFAIL:
		str_format(x->why, sizeof(x->why), "DNS %s: %s", domain,
		    res.reason);
		err = SPF_response_add_error(resp, SPF_E_DNS_ERROR,
		    "Temporary DNS failure for '%s'", domain);
		break;
	case DNSOPS_OK:
		err = select_record(&res, sb, resp, domain);
		break;
	default:
		if (term && !count_void(x, HOST_NOT_FOUND))
			err = SPF_E_BIG_DNS;
		else
			err = SPF_response_add_error(resp, SPF_E_NOT_SPF,
			    "No SPF record for '%s'", domain);
		break;
	}
	dns_result_free(&res);
	return err;
}

/* The record as libspf2 should see it (spf_syntax_rewrite()), compiled. */
static SPF_errcode_t compile_record(SPF_server_t *s, spf_ctx_t *x,
    const char *text, size_t len, SPF_response_t *resp, SPF_record_t **recp)
{
	spf_features_t f;
	SPF_errcode_t err;
	strbuf_t sb;

	strbuf_init(&sb, SPF_SYNTAX_MAX_LEN * 4);
	if (spf_syntax_rewrite(text, len, x->client_af, &sb, &f) < 0)
		err = SPF_E_BIG_STRING;
	else
		err = SPF_record_compile(s, resp, recp, strbuf_str(&sb));
	x->ptr_mech |= f.has_ptr;
	x->p_macro |= f.has_p_macro;
	strbuf_free(&sb);
	return err;
}

/* libspf2's get_spf hook: fetch, select, check and compile a record. */
static SPF_errcode_t layer_get_spf(SPF_server_t *s, SPF_request_t *req,
    SPF_response_t *resp, SPF_record_t **recp)
{
	spf_checker_t *c = s->resolver->hook;
	spf_ctx_t *x = spf_current;
	char why[SPF_SYNTAX_WHY_MAX];
	SPF_errcode_t err;
	strbuf_t sb;

	*recp = NULL;
	if (x == NULL || req->cur_dom == NULL)
		return SPF_E_NOT_CONFIG;
	strbuf_init(&sb, SPF_SYNTAX_MAX_LEN * 4);
	err = fetch_record(c, x, req->cur_dom, resp, &sb);
	if (err == SPF_E_SUCCESS
	    && spf_syntax_check(strbuf_str(&sb), sb.len, why, sizeof(why)) < 0) {
		x->syntax_error = true;
		str_format(x->why, sizeof(x->why), "%s: %s", req->cur_dom, why);
		err = SPF_response_add_error(resp, SPF_E_SYNTAX, "%s", why);
	}
	if (err == SPF_E_SUCCESS)
		err = compile_record(s, x, strbuf_str(&sb), sb.len, resp, recp);
	if (err != SPF_E_SUCCESS && err != SPF_E_DNS_ERROR
	    && err != SPF_E_NOT_SPF && x->why[0] == '\0')
		str_format(x->why, sizeof(x->why), "%s: %s", req->cur_dom,
		    SPF_strerror(err));
	strbuf_free(&sb);
	return err;
}

spf_checker_t *spf_checker_new(dns_resolver_t *r, char *err, size_t errlen)
{
	spf_checker_t *c;

	if (r == NULL) {
		str_copy(err, errlen, "spf: no resolver");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		str_copy(err, errlen, "spf: out of memory");
		return NULL;
	}
	c->resolver = r;
	c->layer.destroy = NULL;          /* ours, freed with the checker */
	c->layer.lookup = layer_lookup;
	c->layer.get_spf = layer_get_spf;
	c->layer.name = "dmarcwarden";
	c->layer.hook = c;
	/* libspf2 logs through process-wide hooks; keep it quiet. */
	SPF_warning_handler = spf_log_quiet;
	SPF_info_handler = spf_log_quiet;
	SPF_debug_handler = spf_log_quiet;
	c->server = SPF_server_new_dns(&c->layer, 0);
	if (c->server == NULL) {
		str_copy(err, errlen, "spf: cannot create libspf2 server");
		free(c);
		return NULL;
	}
	/* PTR answers are cut to 10 names in the layer (RFC 7208 4.6.4),
	 * so libspf2's own PTR cap never turns them into an error. */
	SPF_server_set_max_dns_ptr(c->server, SPF_MAX_NAMES);
	SPF_server_set_max_dns_mx(c->server, SPF_MAX_NAMES);
	SPF_server_set_max_dns_mech(c->server, SPF_MAX_TERMS);
	return c;
}

void spf_checker_free(spf_checker_t *c)
{
	if (c == NULL)
		return;
	SPF_server_free(c->server);   /* leaves c->layer alone: no destroy */
	free(c);
}

/* RFC 7208 4.3: a domain that is not a multi-label FQDN with labels of
 * 1..63 octets (253 in all) gives "none" without any DNS query. */
static bool identity_domain_ok(const char *d)
{
	size_t len = strlen(d), lab = 0, dots = 0, i;

	if (len > 0 && d[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)d[i];

		if (ch <= 0x20 || ch >= 0x7f || ch == '[' || ch == ']'
		    || ch == '@')
			return false;
		if (ch == '.') {
			if (lab == 0)
				return false;
			lab = 0;
			dots++;
		} else if (++lab > 63) {
			return false;
		}
	}
	return lab > 0 && dots > 0;
}

static auth_result_t result_of(SPF_result_t r, SPF_errcode_t err)
{
	switch (r) {
	case SPF_RESULT_PASS:
		return AUTH_PASS;
	case SPF_RESULT_FAIL:
		return AUTH_FAIL;
	case SPF_RESULT_SOFTFAIL:
		return AUTH_SOFTFAIL;
	case SPF_RESULT_NEUTRAL:
		return AUTH_NEUTRAL;
	case SPF_RESULT_NONE:
		return AUTH_NONE;
	case SPF_RESULT_TEMPERROR:
		return AUTH_TEMPERROR;
	case SPF_RESULT_PERMERROR:
		return AUTH_PERMERROR;
	default:
		break;
	}
	/* SPF_RESULT_INVALID: the cause is in the error code. */
	if (err == SPF_E_NOT_SPF)
		return AUTH_NONE;
	if (err == SPF_E_DNS_ERROR)
		return AUTH_TEMPERROR;
	return AUTH_PERMERROR;
}

static int request_setup(SPF_request_t *req, const char *ip,
    const char *helo, const char *sender)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, ip, &a4) == 1)
		SPF_request_set_ipv4(req, a4);
	else if (inet_pton(AF_INET6, ip, &a6) == 1) {
		/* RFC 7208 5: an IPv4-mapped address is an IPv4 client. */
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			memcpy(&a4, &a6.s6_addr[12], 4);
			SPF_request_set_ipv4(req, a4);
		} else
			SPF_request_set_ipv6(req, a6);
	} else
		return -1;
	if (SPF_request_set_env_from(req, sender) != 0)
		return -1;
	if (helo != NULL && *helo != '\0'
	    && SPF_request_set_helo_dom(req, helo) != SPF_E_SUCCESS)
		return -1;
	return 0;
}

/* libspf2's header comment is "RECEIVER: TEXT" (RFC 7208 9.1), RECEIVER
 * being the host name libspf2 found; in Authentication-Results the
 * authserv-id already says who checked, so only TEXT is kept. */
static void spf_comment(const spf_checker_t *c, const char *comment,
    spf_outcome_t *out)
{
	const char *rd = c->server->rec_dom;
	size_t n = rd ? strlen(rd) : 0;

	if (n > 0 && strncmp(comment, rd, n) == 0 && comment[n] == ':' &&
	    comment[n + 1] == ' ')
		comment += n + 2;
	str_printable(out->reason, sizeof(out->reason), comment,
	    strlen(comment));
}

/* check_host() itself, with libspf2's loopback free pass left out. */
static void run_check(spf_checker_t *c, spf_ctx_t *x, SPF_request_t *req,
    spf_outcome_t *out)
{
	SPF_response_t *resp;
	SPF_record_t *rec = NULL;
	SPF_errcode_t err;

	req->cur_dom = req->env_from_dp;
	x->client_af = req->client_ver;
	if (req->client_ver == AF_INET6)
		memcpy(x->client, &req->ipv6, 16);
	else
		memcpy(x->client, &req->ipv4, 4);
	resp = SPF_response_new(req);
	if (resp == NULL)
		abort();
	err = SPF_server_get_record(c->server, req, resp, &rec);
	if (err == SPF_E_SUCCESS && rec != NULL) {
		resp->spf_record_exp = rec;
		err = SPF_record_interpret(rec, req, resp, 0);
		SPF_record_free(rec);
	} else if (rec != NULL) {
		SPF_record_free(rec);
	}
	out->result = result_of(resp->result, err != SPF_E_SUCCESS ? err
	    : resp->err);
	if (x->over_limit || x->syntax_error)
		out->result = AUTH_PERMERROR;
	if (x->why[0] != '\0' && (out->result == AUTH_PERMERROR
	    || out->result == AUTH_TEMPERROR))
		str_copy(out->reason, sizeof(out->reason), x->why);
	else if (out->result == AUTH_PERMERROR
	    || out->result == AUTH_TEMPERROR)
		str_copy(out->reason, sizeof(out->reason),
		    SPF_strerror(err != SPF_E_SUCCESS ? err : resp->err));
	else if (resp->header_comment != NULL)
		spf_comment(c, resp->header_comment, out);
	SPF_response_free(resp);
}

void spf_check(spf_checker_t *c, const char *ip, const char *helo,
    const char *mailfrom, spf_outcome_t *out)
{
	char sender[FROM_DOMAIN_MAX + 80];
	const char *at, *domain;
	SPF_request_t *req;
	spf_ctx_t *x;

	memset(out, 0, sizeof(*out));
	out->result = AUTH_NONE;
	if (mailfrom == NULL || *mailfrom == '\0') {
		/* RFC 7208 2.4: null sender, check postmaster@HELO. */
		out->scope = SPF_SCOPE_HELO;
		domain = helo != NULL ? helo : "";
		if (str_format(sender, sizeof(sender), "postmaster@%s",
		    domain) < 0)
			domain = "";
	} else {
		out->scope = SPF_SCOPE_MFROM;
		at = strrchr(mailfrom, '@');
		domain = at != NULL ? at + 1 : mailfrom;
		if (str_copy(sender, sizeof(sender), mailfrom) < 0)
			domain = "";
	}
	if (str_copy(out->domain, sizeof(out->domain), domain) < 0
	    || !identity_domain_ok(domain)) {
		str_copy(out->reason, sizeof(out->reason),
		    "no valid domain to check");
		/* The identity reaches logs and headers: no raw bytes. */
		str_printable(out->domain, sizeof(out->domain), domain,
		    strlen(domain));
		return;
	}
	str_lower(out->domain);
	x = calloc(1, sizeof(*x));
	req = SPF_request_new(c->server);
	if (x == NULL || req == NULL)
		abort();
	if (request_setup(req, ip, helo, sender) < 0) {
		out->result = AUTH_PERMERROR;
		str_copy(out->reason, sizeof(out->reason),
		    "bad client address or sender");
	} else {
		spf_current = x;
		run_check(c, x, req, out);
		spf_current = NULL;
	}
	SPF_request_free(req);
	free(x);
}
