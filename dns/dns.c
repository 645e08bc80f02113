/*
 * dns - the one shared libunbound resolver of a dmarcwarden process.
 *
 * SYNOPSIS
 *	See dns.h.
 *
 * DESCRIPTION
 *	The libunbound context runs in threaded asynchronous mode: its worker
 *	thread talks to the network, and our dispatcher thread waits on
 *	ub_fd() and calls ub_process(), which runs dns_callback() for each
 *	finished query.  A caller (any milter thread) submits a query with
 *	ub_resolve_async() and sleeps on its request's condition variable
 *	until the callback fires or its deadline passes.
 *
 *	A request is shared by the caller and the callback, so it carries a
 *	reference count, guarded by the resolver-wide lock.  On timeout the
 *	caller calls ub_cancel(): when that succeeds, libunbound guarantees
 *	the callback will never run (threaded mode checks the cancelled flag
 *	under its own lock before calling back), so the caller drops both
 *	references; when it fails the callback has been or is being called,
 *	and the callback drops its own reference later.  ub_cancel() is
 *	called without our lock held, so it cannot deadlock with a callback.
 *
 *	Several forwarders are several contexts, so that we choose which one
 *	an attempt goes to (dns_resolve()); libunbound's own choice among the
 *	forwarders of one context is random within an RTT band.  The
 *	dispatcher polls every context's descriptor.
 *
 *	Time-outs: libunbound backs off its retransmit timer per time-out and
 *	then lets only one probe at a time through to the forwarder (the
 *	"down" state of unbound.conf(5) infra-keep-probing), whatever name
 *	timed out; many messages from domains whose DNS never answers would
 *	so make every lookup fail.  Each of our attempts is cancelled after
 *	try_ms, and infra-cache-min-rtt keeps libunbound's timer a second
 *	above that, so libunbound never sees a time-out; retransmission is
 *	ours (a fresh query).  outgoing-range is raised from libunbound's
 *	default (a few dozen ports, after which queries wait for a port) to
 *	1024 ports per context, opened only while queries are out.
 *
 *	Options chosen for a mail filter talking to forwarders: queries to
 *	127.0.0.1 allowed (local resolver or test server), no 0x20 case
 *	randomisation (some authoritative servers do not echo case), no
 *	QNAME minimisation, and keep probing a forwarder that timed out
 *	instead of giving up on it for minutes.  The forwarders, not
 *	libunbound's built-in local zones, answer for "test." (RFC 6761, used
 *	by test setups) and the reverse zones of private addresses.  Without
 *	DNSSEC the validator module is not loaded at all.
 *
 * BUGS
 *	libunbound 1.17's struct ub_result carries no Extended DNS Error
 *	code, so a bogus answer's reason holds why_bogus only.
 */
#include "dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <unbound.h>

#include "../util/strbuf.h"
#include "dnscache.h"
#include "dnslimit.h"

#define DNS_DEFAULT_TIMEOUT_MS 5000
#define DNS_MAX_ATTEMPTS 3
/* libunbound's retransmit timer runs this much longer than an attempt
 * (infra-cache-min-rtt), so that our cancel always comes first. */
#define DNS_UB_TIMER_MARGIN_MS 1000
#define DNS_NS_TOKEN_MAX 128
#define DNS_NAME_MAX 253

struct dns_resolver {
	struct ub_ctx *ctx[DNS_MAX_FORWARDERS];  /* one per forwarder */
	unsigned nctx;
	unsigned preferred;		/* ctx that answered last */
	unsigned timeout_ms;		/* one lookup, all attempts */
	unsigned attempts;		/* of try_ms each */
	unsigned try_ms;
	pthread_t dispatcher;
	bool dispatcher_running;
	int stop_pipe[2];
	pthread_mutex_t lock;		/* requests' state, preferred, stats */
	dns_stats_t stats;
	dnscache_t *cache;		/* answers, in front of libunbound */
	dnscache_t *fallback;		/* last good _dmarc answers, or NULL */
	dnslimit_t *limit;		/* lookups in flight per domain */
	unsigned per_domain;		/* its bound */
};

typedef struct dns_request {
	dns_resolver_t *r;
	pthread_cond_t cond;
	int refs;			/* caller and callback */
	bool done;
	int err;
	struct ub_result *result;
} dns_request_t;

/* Drop n references; the last one frees.  Caller holds r->lock. */
static void dns_request_release(dns_request_t *req, int n)
{
	req->refs -= n;
	if (req->refs > 0)
		return;
	if (req->result)
		ub_resolve_free(req->result);
	pthread_cond_destroy(&req->cond);
	free(req);
}

static dns_request_t *dns_request_new(dns_resolver_t *r)
{
	dns_request_t *req;
	pthread_condattr_t attr;

	if ((req = calloc(1, sizeof(*req))) == NULL)
		abort();
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&req->cond, &attr);
	pthread_condattr_destroy(&attr);
	req->r = r;
	req->refs = 2;
	return req;
}

/* Runs in the dispatcher thread, inside ub_process(). */
static void dns_callback(void *arg, int err, struct ub_result *result)
{
	dns_request_t *req = arg;
	dns_resolver_t *r = req->r;

	pthread_mutex_lock(&r->lock);
	req->err = err;
	req->result = result;
	req->done = true;
	pthread_cond_signal(&req->cond);
	dns_request_release(req, 1);
	pthread_mutex_unlock(&r->lock);
}

static void *dns_dispatch(void *arg)
{
	dns_resolver_t *r = arg;
	struct pollfd pfd[DNS_MAX_FORWARDERS + 1];
	unsigned i, n = r->nctx;

	for (i = 0; i < n; i++)
		pfd[i].fd = ub_fd(r->ctx[i]);
	pfd[n].fd = r->stop_pipe[0];
	for (;;) {
		for (i = 0; i <= n; i++) {
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, n + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[n].revents)
			break;
		for (i = 0; i < n; i++) {
			if (pfd[i].revents & POLLIN)
				ub_process(r->ctx[i]);
			else if (pfd[i].revents)  /* POLLERR/POLLHUP */
				return NULL;
		}
	}
	return NULL;
}

static void dns_deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void dns_count(dns_resolver_t *r, unsigned long *counter)
{
	pthread_mutex_lock(&r->lock);
	(*counter)++;
	pthread_mutex_unlock(&r->lock);
}

/* Earlier of two deadlines. */
static const struct timespec *dns_earlier(const struct timespec *a,
    const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? a : b;
	return a->tv_nsec < b->tv_nsec ? a : b;
}

/*
 * One attempt: submit to context i and wait until the request is done or
 * until *until.  Returns 1 when done (*err, *out set), 0 when it timed out
 * and was cancelled, -1 when it could not be submitted (*err set).
 */
static int dns_attempt(dns_resolver_t *r, unsigned i, const char *name,
    int rrtype, const struct timespec *until, int *err,
    struct ub_result **out)
{
	dns_request_t *req = dns_request_new(r);
	struct timespec ub_timer, now;
	int id = 0, rc;

	dns_deadline(&ub_timer, r->try_ms + DNS_UB_TIMER_MARGIN_MS);
	rc = ub_resolve_async(r->ctx[i], name, rrtype, 1 /* IN */, req,
	    dns_callback, &id);
	if (rc != 0) {
		pthread_mutex_lock(&r->lock);
		dns_request_release(req, 2);
		pthread_mutex_unlock(&r->lock);
		*err = rc;
		return -1;
	}
	pthread_mutex_lock(&r->lock);
	while (!req->done) {
		if (pthread_cond_timedwait(&req->cond, &r->lock, until) ==
		    ETIMEDOUT && !req->done)
			break;
	}
	if (req->done) {
		*err = req->err;
		*out = req->result;
		req->result = NULL;
		if (*err == 0 && *out != NULL)
			r->preferred = i;
		dns_request_release(req, 1);
		pthread_mutex_unlock(&r->lock);
		return 1;
	}
	pthread_mutex_unlock(&r->lock);
	/* Cancelled before libunbound's own retransmit timer (its minimum
	 * RTT is above try_ms), so the forwarder is never marked down for
	 * a name that is slow -- unless this thread got the CPU back too
	 * late for that (a starved process): counted. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	rc = ub_cancel(r->ctx[i], id);
	pthread_mutex_lock(&r->lock);
	if (dns_earlier(&ub_timer, &now) == &ub_timer)
		r->stats.late_cancels++;
	/* Cancelled: the callback's reference is ours to drop too. */
	dns_request_release(req, rc == UB_NOERROR ? 2 : 1);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/*
 * Resolve one name: up to r->attempts attempts of r->try_ms each, within
 * r->timeout_ms in all, starting with the forwarder that answered last
 * and moving to the next one after each silent attempt.  Returns 0 with
 * *out set (free with ub_resolve_free), or -1 with reason filled in.
 */
static int dns_resolve(dns_resolver_t *r, const char *name, int rrtype,
    struct ub_result **out, char *reason, size_t reasonlen)
{
	struct timespec deadline, until;
	unsigned k, first;
	int rc = 0, err = 0;

	*out = NULL;
	pthread_mutex_lock(&r->lock);
	first = r->preferred;
	pthread_mutex_unlock(&r->lock);
	dns_deadline(&deadline, r->timeout_ms);
	for (k = 0; k < r->attempts; k++) {
		dns_deadline(&until, r->try_ms);
		rc = dns_attempt(r, (first + k) % r->nctx, name, rrtype,
		    dns_earlier(&until, &deadline), &err, out);
		if (rc != 0)
			break;
	}
	if (rc == 0) {
		dns_count(r, &r->stats.timeouts);
		str_copy(reason, reasonlen, "timeout");
		return -1;
	}
	if (err != 0 || *out == NULL) {
		if (*out)
			ub_resolve_free(*out);
		*out = NULL;
		str_format(reason, reasonlen, "resolver: %s", ub_strerror(err));
		return -1;
	}
	return 0;
}

static const char *dns_rcode_name(int rcode)
{
	static const char *names[] = {"NOERROR", "FORMERR", "SERVFAIL",
	    "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
	    "NXRRSET", "NOTAUTH", "NOTZONE"};

	if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	return NULL;
}

/* A name libunbound can be asked about: 1..253 octets, labels 1..63. */
static bool dns_name_ok(const char *name)
{
	size_t len, label = 0, i;

	if (name == NULL)
		return false;
	len = strnlen(name, DNS_NAME_MAX + 2);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (++label > 63) {
			return false;
		}
	}
	return label > 0;
}

static void dns_copy_records(const struct ub_result *ub, dns_result_t *res)
{
	size_t i;

	for (i = 0; ub->data[i] != NULL; i++) {
		if (res->count >= DNS_MAX_RR) {
			res->truncated = true;
			break;
		}
		if (ub->len[i] < 0)
			continue;
		res->len[res->count] = (size_t)ub->len[i];
		res->data[res->count] = malloc(res->len[res->count] + 1);
		if (res->data[res->count] == NULL)
			abort();
		memcpy(res->data[res->count], ub->data[i],
		    res->len[res->count]);
		res->count++;
	}
}

/* Map one libunbound result into res and count failures. */
static void dns_map_result(dns_resolver_t *r, const struct ub_result *ub,
    dns_result_t *res)
{
	const char *rname;
	char why[DNS_REASON_MAX];

	res->ttl = ub->ttl > 0 ? (unsigned)ub->ttl : 0;
	res->secure = ub->secure != 0;
	if (ub->bogus) {
		res->status = DNSOPS_TEMPFAIL;
		str_printable(why, sizeof(why), ub->why_bogus ? ub->why_bogus
		    : "unknown", ub->why_bogus ? strlen(ub->why_bogus) : 7);
		str_format(res->reason, sizeof(res->reason), "DNSSEC bogus: %s",
		    why);
		dns_count(r, &r->stats.bogus);
	} else if (ub->rcode == 3 || (ub->nxdomain && !ub->havedata)) {
		res->status = DNSOPS_NXDOMAIN;
	} else if (ub->rcode != 0) {
		res->status = DNSOPS_TEMPFAIL;
		if ((rname = dns_rcode_name(ub->rcode)) != NULL)
			str_copy(res->reason, sizeof(res->reason), rname);
		else
			str_format(res->reason, sizeof(res->reason),
			    "rcode %d", ub->rcode);
		dns_count(r, &r->stats.servfail);
	} else if (ub->havedata && ub->data != NULL && ub->data[0] != NULL) {
		res->status = DNSOPS_OK;
		dns_copy_records(ub, res);
	} else {
		res->status = DNSOPS_NODATA;
	}
}

/* Names whose last good answer may stand in for a temporary failure:
 * DMARC policy records (TXT at _dmarc.*). */
static bool dns_keeps_fallback(const dns_resolver_t *r, const char *name,
    int rrtype)
{
	return r->fallback != NULL && rrtype == DNS_T_TXT &&
	    strncasecmp(name, "_dmarc.", 7) == 0;
}

/* res is a temporary failure: replace it with the last good answer when
 * one is kept for the name. */
static dnsops_status_t dns_fallback(dns_resolver_t *r, const char *name,
    int rrtype, dns_result_t *res)
{
	char why[DNS_REASON_MAX];

	str_copy(why, sizeof(why), res->reason);
	if (!dns_keeps_fallback(r, name, rrtype) ||
	    !dnscache_get(r->fallback, name, rrtype, res))
		return res->status;
	res->stale = true;
	str_format(res->reason, sizeof(res->reason), "%s, answer from cache",
	    why);
	dns_count(r, &r->stats.stale);
	return res->status;
}

dnsops_status_t dns_lookup(dns_resolver_t *r, const char *name, int rrtype,
    dns_result_t *res)
{
	struct ub_result *ub;
	dnslimit_slot_t slot;
	int rc;

	memset(res, 0, sizeof(*res));
	res->rrtype = rrtype;
	if (!dns_name_ok(name)) {
		res->status = DNSOPS_NXDOMAIN;
		str_copy(res->reason, sizeof(res->reason), "invalid name");
		return res->status;
	}
	dns_count(r, &r->stats.queries);
	if (dnscache_get(r->cache, name, rrtype, res))
		return res->status;
	res->status = DNSOPS_TEMPFAIL;
	if (!dnslimit_enter(r->limit, name, &slot)) {
		str_format(res->reason, sizeof(res->reason), "%u lookups in "
		    "flight for %.64s", r->per_domain, slot.domain);
		dns_count(r, &r->stats.limited);
		return dns_fallback(r, name, rrtype, res);
	}
	rc = dns_resolve(r, name, rrtype, &ub, res->reason,
	    sizeof(res->reason));
	dnslimit_leave(r->limit, &slot);
	if (rc < 0)
		return dns_fallback(r, name, rrtype, res);
	dns_map_result(r, ub, res);
	ub_resolve_free(ub);
	if (res->status == DNSOPS_TEMPFAIL)
		return dns_fallback(r, name, rrtype, res);
	dnscache_put(r->cache, name, rrtype, res);
	if (dns_keeps_fallback(r, name, rrtype))
		dnscache_put(r->fallback, name, rrtype, res);
	return res->status;
}

void dns_resolver_stats(dns_resolver_t *r, dns_stats_t *out)
{
	pthread_mutex_lock(&r->lock);
	*out = r->stats;
	pthread_mutex_unlock(&r->lock);
}

/* Check one "ADDR[@PORT]" and hand it to libunbound. */
static int dns_add_forwarder(struct ub_ctx *ctx, const char *tok,
    size_t len, char *err, size_t errlen)
{
	char buf[DNS_NS_TOKEN_MAX], addr[DNS_NS_TOKEN_MAX], shown[64];
	unsigned char bin[16];
	char *at, *end;
	unsigned long port;
	int rc;

	str_printable(shown, sizeof(shown), tok, len);
	if (len >= sizeof(buf)) {
		str_format(err, errlen, "nameserver too long: %s", shown);
		return -1;
	}
	str_ncopy(buf, sizeof(buf), tok, len);
	str_copy(addr, sizeof(addr), buf);
	if ((at = strchr(addr, '@')) != NULL) {
		*at++ = '\0';
		errno = 0;
		port = strtoul(at, &end, 10);
		if (*at < '0' || *at > '9' || *end != '\0' || errno ||
		    port == 0 || port > 65535) {
			str_format(err, errlen, "bad nameserver port: %s",
			    shown);
			return -1;
		}
	}
	if (inet_pton(AF_INET, addr, bin) != 1 &&
	    inet_pton(AF_INET6, addr, bin) != 1) {
		str_format(err, errlen, "bad nameserver address: %s", shown);
		return -1;
	}
	if ((rc = ub_ctx_set_fwd(ctx, buf)) != 0) {
		str_format(err, errlen, "nameserver %s: %s", shown,
		    ub_strerror(rc));
		return -1;
	}
	return 0;
}

/*
 * Make libunbound read its files now rather than at the first query, so
 * that a bad trust anchor is reported at start-up and nothing is read
 * from disk after a chroot.  Adding local data finalizes the context; the
 * record added is the one libunbound's own localhost zone already has.
 */
static int dns_finalize(struct ub_ctx *ctx, char *err, size_t errlen)
{
	int rc;

	if ((rc = ub_ctx_data_add(ctx, "localhost. 3600 IN A 127.0.0.1"))
	    != 0) {
		str_format(err, errlen, "resolver set-up (trust anchor?): %s",
		    ub_strerror(rc));
		return -1;
	}
	return 0;
}

static int dns_configure(struct ub_ctx *ctx, const dns_resolver_t *r,
    const dns_cfg_t *cfg, char *err, size_t errlen)
{
	static const char *const opts[][2] = {
		{"do-not-query-localhost:", "no"},
		{"use-caps-for-id:", "no"},
		{"qname-minimisation:", "no"},
		{"infra-keep-probing:", "yes"},
		{"infra-host-ttl:", "60"},
		{"outgoing-range:", "1024"},
		{"num-queries-per-thread:", "1024"},
		{"local-zone:", "test. transparent"},
		{"unblock-lan-zones:", "yes"},
		{"insecure-lan-zones:", "yes"},
	};
	char min_rtt[16];
	FILE *fp;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if ((rc = ub_ctx_set_option(ctx, opts[i][0], opts[i][1])) != 0) {
			str_format(err, errlen, "unbound option %s %s: %s",
			    opts[i][0], opts[i][1], ub_strerror(rc));
			return -1;
		}
	}
	/* libunbound's retransmit timer stays above our attempts, which are
	 * cancelled first: it never counts a time-out against a forwarder. */
	str_format(min_rtt, sizeof(min_rtt), "%u", r->try_ms +
	    DNS_UB_TIMER_MARGIN_MS);
	if ((rc = ub_ctx_set_option(ctx, "infra-cache-min-rtt:", min_rtt))
	    != 0) {
		str_format(err, errlen, "unbound infra-cache-min-rtt: %s",
		    ub_strerror(rc));
		return -1;
	}
	if (!cfg->dnssec) {
		if ((rc = ub_ctx_set_option(ctx, "module-config:",
		    "iterator")) != 0) {
			str_format(err, errlen, "unbound module-config: %s",
			    ub_strerror(rc));
			return -1;
		}
		return 0;
	}
	if (cfg->trust_anchor == NULL || *cfg->trust_anchor == '\0') {
		str_copy(err, errlen, "dnssec needs a trust anchor file");
		return -1;
	}
	if ((fp = fopen(cfg->trust_anchor, "r")) == NULL) {
		str_format(err, errlen, "trust anchor %s: %s",
		    cfg->trust_anchor, strerror(errno));
		return -1;
	}
	fclose(fp);
	if ((rc = ub_ctx_add_ta_file(ctx, cfg->trust_anchor)) != 0) {
		str_format(err, errlen, "trust anchor %s: %s",
		    cfg->trust_anchor, ub_strerror(rc));
		return -1;
	}
	return 0;
}

/* A new context with our options, in r->ctx[r->nctx++]. */
static struct ub_ctx *dns_ctx_add(dns_resolver_t *r, const dns_cfg_t *cfg,
    char *err, size_t errlen)
{
	struct ub_ctx *ctx;
	int rc;

	if (r->nctx >= DNS_MAX_FORWARDERS) {
		str_format(err, errlen, "more than %d nameservers",
		    DNS_MAX_FORWARDERS);
		return NULL;
	}
	if ((ctx = ub_ctx_create()) == NULL) {
		str_copy(err, errlen, "cannot create libunbound context");
		return NULL;
	}
	r->ctx[r->nctx++] = ctx;
	if ((rc = ub_ctx_async(ctx, 1)) != 0) {
		str_format(err, errlen, "ub_ctx_async: %s", ub_strerror(rc));
		return NULL;
	}
	if (dns_configure(ctx, r, cfg, err, errlen) < 0)
		return NULL;
	return ctx;
}

/* One context per listed forwarder, tried in turn; with none listed, one
 * context with the forwarders of /etc/resolv.conf. */
static int dns_set_forwarders(dns_resolver_t *r, const dns_cfg_t *cfg,
    char *err, size_t errlen)
{
	static const char seps[] = " ,\t\r\n";
	const char *p = cfg->nameservers;
	struct ub_ctx *ctx;
	size_t n;
	int rc;

	if (p == NULL || p[strspn(p, seps)] == '\0') {
		if ((ctx = dns_ctx_add(r, cfg, err, errlen)) == NULL)
			return -1;
		if ((rc = ub_ctx_resolvconf(ctx, "/etc/resolv.conf")) != 0) {
			str_format(err, errlen, "/etc/resolv.conf: %s",
			    ub_strerror(rc));
			return -1;
		}
		return dns_finalize(ctx, err, errlen);
	}
	while (*(p += strspn(p, seps)) != '\0') {
		n = strcspn(p, seps);
		if ((ctx = dns_ctx_add(r, cfg, err, errlen)) == NULL ||
		    dns_add_forwarder(ctx, p, n, err, errlen) < 0 ||
		    dns_finalize(ctx, err, errlen) < 0)
			return -1;
		p += n;
	}
	return 0;
}

/* DNSTimeout split into attempts of at least a second, at most three. */
static void dns_set_timing(dns_resolver_t *r, unsigned timeout_ms)
{
	r->timeout_ms = timeout_ms ? timeout_ms : DNS_DEFAULT_TIMEOUT_MS;
	r->attempts = r->timeout_ms / 1000;
	if (r->attempts < 1)
		r->attempts = 1;
	if (r->attempts > DNS_MAX_ATTEMPTS)
		r->attempts = DNS_MAX_ATTEMPTS;
	r->try_ms = r->timeout_ms / r->attempts;
}

dns_resolver_t *dns_resolver_new(const dns_cfg_t *cfg, char *err,
    size_t errlen)
{
	dns_resolver_t *r;
	unsigned i;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		abort();
	r->stop_pipe[0] = r->stop_pipe[1] = -1;
	pthread_mutex_init(&r->lock, NULL);
	dns_set_timing(r, cfg->timeout_ms);
	r->cache = dnscache_new();
	if (cfg->policy_cache_s > 0)
		r->fallback = dnscache_new_fallback(cfg->policy_cache_s);
	r->per_domain = cfg->per_domain_lookups;
	r->limit = dnslimit_new(r->per_domain);
	if (dns_set_forwarders(r, cfg, err, errlen) < 0)
		goto fail;
	for (i = 0; i < r->nctx; i++)
		if (ub_fd(r->ctx[i]) < 0)
			break;
	if (i < r->nctx || pipe(r->stop_pipe) < 0) {
		str_copy(err, errlen, "cannot set up resolver descriptors");
		goto fail;
	}
	if (pthread_create(&r->dispatcher, NULL, dns_dispatch, r) != 0) {
		str_copy(err, errlen, "cannot start resolver thread");
		goto fail;
	}
	r->dispatcher_running = true;
	return r;
fail:
	dns_resolver_free(r);
	return NULL;
}

void dns_resolver_free(dns_resolver_t *r)
{
	unsigned i;

	if (r == NULL)
		return;
	if (r->dispatcher_running) {
		if (write(r->stop_pipe[1], "x", 1) != 1)
			abort();
		pthread_join(r->dispatcher, NULL);
	}
	for (i = 0; i < r->nctx; i++)
		ub_ctx_delete(r->ctx[i]);
	if (r->stop_pipe[0] >= 0)
		close(r->stop_pipe[0]);
	if (r->stop_pipe[1] >= 0)
		close(r->stop_pipe[1]);
	dnscache_free(r->cache);
	dnscache_free(r->fallback);
	dnslimit_free(r->limit);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
