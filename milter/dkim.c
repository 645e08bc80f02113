/*
 * dkim - streaming DKIM verification of every signature with libopendkim.
 *
 * DESCRIPTION
 *	See dkim.h for the interface.  Implementation notes:
 *
 *	One DKIM_LIB per engine, and one per message in flight with the same
 *	options (only its FIXCRLF flag changes, see chunk_clean()).  A
 *	message takes its DKIM_LIB from the engine's pool and gives it back
 *	with the flag set again: dkim_init() runs res_ninit(), which opens
 *	and reads /etc/resolv.conf, calls uname() and getrandom() (make
 *	bench profile: 2% of the daemon's time), so libraries are made only
 *	when the pool is empty and at most DKIM_POOL_MAX are kept.
 *
 *	libopendkim's own resolver and key cache are bypassed:
 *	dkim_set_key_lookup() installs key_lookup(), which asks dns_txt()
 *	of the shared resolver (that resolver caches).  The lookup
 *	callback cannot report a temporary DNS failure for one signature
 *	without aborting the others (DKIM_CBSTAT_TRYAGAIN fails the whole
 *	message), so on TEMPFAIL it records a note for that signature and
 *	hands libopendkim an empty record; the note wins when results are
 *	mapped.  NXDOMAIN and NODATA are "no key" (permerror).  Parsed
 *	public keys are shared between messages: keycache.h (libopendkim's
 *	d2i_PUBKEY_bio() calls land there once keycache_enable() is called).
 *
 *	DKIM_LIBFLAGS_BADSIGHANDLES keeps syntactically broken signatures in
 *	the signature list (with their error) so they are reported, and
 *	DKIM_LIBFLAGS_FIXCRLF turns bare LF and CR into CRLF (set for the
 *	body chunks where that changes something).  A prescreen callback
 *	marks signatures past max_sigs as ignored: they are not verified (no
 *	DNS query) and are reported as permerror "too many signatures".
 *
 *	The results are mapped from libopendkim's state in dkim_result.c
 *	(table there) and sig_result() here, which adds the notes of the key
 *	lookups, the signature limit and the l= rule.
 *
 *	The signature headers are also recorded here (d= and s= parsed with
 *	a small bounded tag parser) so that, when libopendkim gives up on a
 *	message before building its signature list (e.g. no From header),
 *	every signature is still reported, as permerror.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <dkim.h>

#include "../util/strbuf.h"
#include "dkim.h"
#include "dkim_length.h"
#include "dkim_result.h"
#include "dkim_select.h"
#include "dkim_tags.h"
#include "keycache.h"

#define DKIM_HEADER_MAX (256 * 1024)    /* one header field, name+value */
#define DKIM_QID_MAX 64
#define DKIM_NOTES_MAX EVAL_MAX_DKIM
#define DKIM_KEYNAME_MAX 256
#define DKIM_POOL_MAX 64            /* idle per-message libraries kept */

struct dkim_engine {
	DKIM_LIB *lib;
	pthread_mutex_t pool_lock;
	size_t npool;
	DKIM_LIB *pool[DKIM_POOL_MAX];  /* idle, FIXCRLF set */
	dns_resolver_t *resolver;
	unsigned max_sigs;
	bool ed25519;
};

/* What key_lookup() learned about one signature's key. */
typedef struct key_note {
	DKIM_SIGINFO *sig;
	auth_result_t result;
	char reason[DKIM_REASON_MAX];
	char keyname[DKIM_KEYNAME_MAX];  /* s._domainkey.d, or "" */
} key_note_t;

struct dkim_verify {
	dkim_engine_t *e;
	DKIM *dkim;                 /* NULL when dkim_verify() failed */
	char qid[DKIM_QID_MAX];
	bool failed;                /* libopendkim gave up on the message */
	char failure[DKIM_REASON_MAX];
	bool eoh_done;
	unsigned max_sigs;          /* MaximumSignatures for this message */
	DKIM_LIB *lib;              /* this message's own (see chunk_clean) */
	bool fixcrlf;               /* DKIM_LIBFLAGS_FIXCRLF set on lib */
	unsigned char body_prev;    /* last body byte passed on */
	size_t max_fields, max_bytes;   /* header limits, 0 = none */
	bool strict_length;         /* l= with content after it: policy */
	char from_domain[FROM_DOMAIN_MAX];  /* preferred past max_sigs */
	dkim_length_t length;       /* canonical body lengths, for l= */
	size_t nfields, nbytes;     /* header fields seen and their bytes */
	size_t nsighdr;             /* DKIM-Signature headers seen */
	dkim_sig_header_t sighdr[EVAL_MAX_DKIM];
	size_t nnotes;
	key_note_t notes[DKIM_NOTES_MAX];
};

/* ---- small helpers ---------------------------------------------------- */

static void set_failure(dkim_verify_t *v, const char *what, DKIM_STAT st)
{
	const char *detail = NULL;

	if (v->failed)
		return;
	v->failed = true;
	if (v->dkim != NULL)
		detail = dkim_geterror(v->dkim);
	if (detail == NULL || *detail == '\0')
		detail = dkim_getresultstr(st);
	if (detail == NULL)
		detail = "unknown error";
	str_format(v->failure, sizeof(v->failure), "%s: %s", what, detail);
}

static key_note_t *note_for(dkim_verify_t *v, DKIM_SIGINFO *sig)
{
	size_t i;

	for (i = 0; i < v->nnotes; i++)
		if (v->notes[i].sig == sig)
			return &v->notes[i];
	return NULL;
}

static void note_add(dkim_verify_t *v, DKIM_SIGINFO *sig, auth_result_t r,
    const char *reason, const char *keyname)
{
	key_note_t *n = note_for(v, sig);

	if (n == NULL) {
		if (v->nnotes >= DKIM_NOTES_MAX)
			return;
		n = &v->notes[v->nnotes++];
	}
	n->sig = sig;
	n->result = r;
	str_printable(n->reason, sizeof(n->reason), reason, strlen(reason));
	str_copy(n->keyname, sizeof(n->keyname), keyname ? keyname : "");
}

/* A key lookup of this message that already failed temporarily: another
 * signature with the same d= and s= does not wait for a second timeout. */
static const key_note_t *note_tempfailed(const dkim_verify_t *v,
    const char *keyname)
{
	size_t i;

	for (i = 0; i < v->nnotes; i++)
		if (v->notes[i].result == AUTH_TEMPERROR &&
		    strcasecmp(v->notes[i].keyname, keyname) == 0)
			return &v->notes[i];
	return NULL;
}

/* ---- callbacks ---------------------------------------------------------- */

/* Answer libopendkim's key query from the shared resolver.  buf receives
 * the key record's text (the first TXT record at the name). */
static DKIM_CBSTAT key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf,
    size_t buflen)
{
	dkim_verify_t *v = dkim_get_user_context(dkim);
	const char *sel = (const char *)dkim_sig_getselector(sig);
	const char *dom = (const char *)dkim_sig_getdomain(sig);
	char name[DKIM_KEYNAME_MAX], reason[DKIM_REASON_MAX];
	const key_note_t *prior;
	txt_answer_t ans;
	dnsops_status_t st;

	if (buflen == 0)
		return DKIM_CBSTAT_ERROR;
	buf[0] = '\0';
	if (v == NULL || sel == NULL || dom == NULL ||
	    str_format(name, sizeof(name), "%s._domainkey.%s", sel, dom) < 0) {
		if (v != NULL)
			note_add(v, sig, AUTH_PERMERROR, "key name too long",
			    NULL);
		return DKIM_CBSTAT_CONTINUE;
	}
	if ((prior = note_tempfailed(v, name)) != NULL) {
		str_copy(reason, sizeof(reason), prior->reason);
		note_add(v, sig, AUTH_TEMPERROR, reason, name);
		return DKIM_CBSTAT_CONTINUE;
	}
	txt_answer_init(&ans);
	st = dns_txt(v->e->resolver, name, &ans);
	switch (st) {
	case DNSOPS_OK:
		if (ans.count == 0 || ans.len[0] + 1 > buflen) {
			note_add(v, sig, AUTH_PERMERROR, "key record too long",
			    name);
		} else if (memchr(ans.rec[0], '\0', ans.len[0]) != NULL) {
			note_add(v, sig, AUTH_PERMERROR, "NUL in key record",
			    name);
		} else {
			memcpy(buf, ans.rec[0], ans.len[0]);
			buf[ans.len[0]] = '\0';
			if (ans.len[0] == 0)
				note_add(v, sig, AUTH_PERMERROR,
				    "empty key record", name);
		}
		txt_answer_free(&ans);
		return DKIM_CBSTAT_CONTINUE;
	case DNSOPS_NXDOMAIN:
	case DNSOPS_NODATA:
		str_format(reason, sizeof(reason), "no key (%s)",
		    st == DNSOPS_NXDOMAIN ? "NXDOMAIN" : "NODATA");
		note_add(v, sig, AUTH_PERMERROR, reason, name);
		txt_answer_free(&ans);
		return DKIM_CBSTAT_NOTFOUND;
	default:
		str_format(reason, sizeof(reason), "key lookup: %s",
		    ans.reason[0] ? ans.reason : "temporary DNS failure");
		note_add(v, sig, AUTH_TEMPERROR, reason, name);
		txt_answer_free(&ans);
		return DKIM_CBSTAT_CONTINUE;
	}
}

/* More signatures than the limit: those aligned with From first
 * (dkim_select.h), in place. */
static void prefer_aligned(dkim_verify_t *v, DKIM_SIGINFO **sigs,
    size_t n)
{
	const char **dom = calloc(n, sizeof(*dom));
	DKIM_SIGINFO **copy = calloc(n, sizeof(*copy));
	size_t *order = calloc(n, sizeof(*order)), i;

	if (dom == NULL || copy == NULL || order == NULL)
		abort();
	for (i = 0; i < n; i++) {
		dom[i] = (const char *)dkim_sig_getdomain(sigs[i]);
		copy[i] = sigs[i];
	}
	dkim_select_order(dom, n, v->from_domain, order);
	for (i = 0; i < n; i++)
		sigs[i] = copy[order[i]];
	free(dom);
	free(copy);
	free(order);
}

/* Ignore signatures past the engine's limit: no DNS, no crypto. */
static DKIM_CBSTAT prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	dkim_verify_t *v = dkim_get_user_context(dkim);
	int i;

	if (v == NULL)
		return DKIM_CBSTAT_CONTINUE;
	if (nsigs > (int)v->max_sigs && v->from_domain[0] != '\0')
		prefer_aligned(v, sigs, (size_t)nsigs);
	for (i = (int)v->max_sigs; i < nsigs; i++)
		dkim_sig_ignore(sigs[i]);
	return DKIM_CBSTAT_CONTINUE;
}

/* ---- engine ------------------------------------------------------------- */

static int lib_options(DKIM_LIB *lib, char *err, size_t errlen)
{
	uint32_t flags = DKIM_LIBFLAGS_BADSIGHANDLES | DKIM_LIBFLAGS_FIXCRLF;

	if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
	    sizeof(flags)) != DKIM_STAT_OK) {
		str_copy(err, errlen, "dkim: cannot set library flags");
		return -1;
	}
	if (dkim_set_key_lookup(lib, key_lookup) != DKIM_STAT_OK ||
	    dkim_set_prescreen(lib, prescreen) != DKIM_STAT_OK) {
		str_copy(err, errlen, "dkim: cannot install callbacks");
		return -1;
	}
	return 0;
}

static int engine_options(dkim_engine_t *e, char *err, size_t errlen)
{
	keycache_enable();
	return lib_options(e->lib, err, errlen);
}

dkim_engine_t *dkim_engine_new(dns_resolver_t *r, unsigned max_sigs,
    char *err, size_t errlen)
{
	dkim_engine_t *e;

	if (r == NULL) {
		str_copy(err, errlen, "dkim: no resolver");
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		str_copy(err, errlen, "dkim: out of memory");
		return NULL;
	}
	e->resolver = r;
	pthread_mutex_init(&e->pool_lock, NULL);
	e->max_sigs = max_sigs == 0 || max_sigs > EVAL_MAX_DKIM ?
	    EVAL_MAX_DKIM : max_sigs;
	e->lib = dkim_init(NULL, NULL);
	if (e->lib == NULL) {
		str_copy(err, errlen, "dkim: dkim_init failed");
		free(e);
		return NULL;
	}
	if (engine_options(e, err, errlen) < 0) {
		dkim_engine_free(e);
		return NULL;
	}
	e->ed25519 = dkim_libfeature(e->lib, DKIM_FEATURE_ED25519);
	return e;
}

void dkim_engine_free(dkim_engine_t *e)
{
	if (e == NULL)
		return;
	while (e->npool > 0)
		dkim_close(e->pool[--e->npool]);
	pthread_mutex_destroy(&e->pool_lock);
	if (e->lib != NULL)
		dkim_close(e->lib);
	free(e);
}

/* A library for one message, FIXCRLF set: from the pool, or new. */
static DKIM_LIB *lib_take(dkim_engine_t *e, char *err, size_t errlen)
{
	DKIM_LIB *lib = NULL;

	pthread_mutex_lock(&e->pool_lock);
	if (e->npool > 0)
		lib = e->pool[--e->npool];
	pthread_mutex_unlock(&e->pool_lock);
	if (lib != NULL)
		return lib;
	lib = dkim_init(NULL, NULL);
	if (lib == NULL) {
		str_copy(err, errlen, "dkim_init failed");
		return NULL;
	}
	if (lib_options(lib, err, errlen) < 0) {
		dkim_close(lib);
		return NULL;
	}
	return lib;
}

/* Back to the pool with FIXCRLF set again, or closed when the flag cannot
 * be restored or the pool is full. */
static void lib_give(dkim_engine_t *e, DKIM_LIB *lib, bool fixcrlf)
{
	uint32_t flags = DKIM_LIBFLAGS_BADSIGHANDLES | DKIM_LIBFLAGS_FIXCRLF;

	if (!fixcrlf && dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS,
	    &flags, sizeof(flags)) != DKIM_STAT_OK) {
		dkim_close(lib);
		return;
	}
	pthread_mutex_lock(&e->pool_lock);
	if (e->npool < DKIM_POOL_MAX) {
		e->pool[e->npool++] = lib;
		lib = NULL;
	}
	pthread_mutex_unlock(&e->pool_lock);
	if (lib != NULL)
		dkim_close(lib);
}

/* ---- per message -------------------------------------------------------- */

dkim_verify_t *dkim_verify_new(dkim_engine_t *e, const char *qid)
{
	dkim_verify_t *v;
	DKIM_STAT st = DKIM_STAT_OK;

	if (e == NULL)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->e = e;
	v->max_sigs = e->max_sigs;
	str_printable(v->qid, sizeof(v->qid), qid ? qid : "-",
	    strlen(qid ? qid : "-"));
	v->fixcrlf = true;
	v->lib = lib_take(e, v->failure, sizeof(v->failure));
	if (v->lib == NULL) {
		set_failure(v, "dkim_init", DKIM_STAT_NORESOURCE);
		return v;
	}
	v->dkim = dkim_verify(v->lib, (const unsigned char *)v->qid, NULL,
	    &st);
	if (v->dkim == NULL) {
		set_failure(v, "dkim_verify", st);
		return v;
	}
	dkim_set_user_context(v->dkim, v);
	return v;
}

void dkim_verify_limit(dkim_verify_t *v, unsigned max_sigs)
{
	if (v != NULL)
		v->max_sigs = max_sigs == 0 || max_sigs > EVAL_MAX_DKIM ?
		    EVAL_MAX_DKIM : max_sigs;
}

void dkim_verify_header_limits(dkim_verify_t *v, size_t max_fields,
    size_t max_bytes)
{
	if (v == NULL)
		return;
	v->max_fields = max_fields;
	v->max_bytes = max_bytes;
}

/* Past the header limits: give up on the message and hand libopendkim's
 * copy of the headers back now, not at eom. */
static bool over_limits(dkim_verify_t *v, size_t fieldlen)
{
	v->nfields++;
	v->nbytes += fieldlen;
	if (v->failed)
		return true;
	if (v->max_fields != 0 && v->nfields > v->max_fields)
		str_format(v->failure, sizeof(v->failure), "more than %zu "
		    "header fields, MaxHeaderFields", v->max_fields);
	else if (v->max_bytes != 0 && v->nbytes > v->max_bytes)
		str_format(v->failure, sizeof(v->failure), "header fields over "
		    "%zu bytes, MaxHeaderBytes", v->max_bytes);
	else
		return false;
	v->failed = true;
	if (v->dkim != NULL)
		dkim_free(v->dkim);
	v->dkim = NULL;
	return true;
}

int dkim_verify_header(dkim_verify_t *v, const char *name,
    const char *value)
{
	strbuf_t sb;
	DKIM_STAT st;

	if (v == NULL || name == NULL || value == NULL)
		return -1;
	if (strcasecmp(name, DKIM_SIGNHEADER) == 0) {
		if (v->nsighdr < EVAL_MAX_DKIM)
			dkim_tags_sig_header(value, &v->sighdr[v->nsighdr]);
		v->nsighdr++;
	}
	if (!v->eoh_done && over_limits(v, strlen(name) + 1 + strlen(value)))
		return -1;
	if (v->dkim == NULL || v->failed || v->eoh_done)
		return -1;
	strbuf_init(&sb, DKIM_HEADER_MAX);
	strbuf_puts(&sb, name);
	strbuf_putc(&sb, ':');
	strbuf_puts(&sb, value);
	if (sb.truncated || sb.len == 0) {
		strbuf_free(&sb);
		return 0;   /* too long to keep: libopendkim never sees it */
	}
	st = dkim_header(v->dkim, (u_char *)sb.s, sb.len);
	strbuf_free(&sb);
	/* SYNTAX: a malformed field (or signature, kept as a bad handle);
	 * the field is left out and any signature over it fails. */
	if (st != DKIM_STAT_OK && st != DKIM_STAT_SYNTAX) {
		set_failure(v, "header", st);
		return -1;
	}
	return 0;
}

void dkim_verify_prefer(dkim_verify_t *v, const char *from_domain)
{
	if (v != NULL && from_domain != NULL)
		str_copy(v->from_domain, sizeof(v->from_domain), from_domain);
}

void dkim_verify_strict_length(dkim_verify_t *v, bool strict)
{
	if (v != NULL)
		v->strict_length = strict;
}

int dkim_verify_eoh(dkim_verify_t *v)
{
	DKIM_STAT st;

	if (v == NULL)
		return -1;
	if (v->dkim == NULL || v->failed || v->eoh_done)
		return v->failed ? -1 : 0;
	v->eoh_done = true;
	st = dkim_eoh(v->dkim);
	if (st != DKIM_STAT_OK && st != DKIM_STAT_NOSIG) {
		set_failure(v, "end of headers", st);
		return -1;
	}
	if (v->strict_length)
		dkim_length_setup(&v->length, v->dkim, v->max_sigs);
	return 0;
}

/*
 * DKIM_LIBFLAGS_FIXCRLF makes libopendkim copy every body byte once per
 * body canonicalization, a fifth of the daemon's instructions (make
 * bench profile), although it changes nothing in a chunk where every LF
 * follows a CR (the previous chunk's last byte, prev, counts), every CR
 * is followed by LF or ends the chunk, and which starts with LF when the
 * previous one ended with CR.  That covers every chunk Postfix sends
 * but those with bare CRs.  The flag is consulted per chunk (the fixcrlf
 * pass, the simple canonicalization's chunk-start rule, the relaxed one's
 * "anything after CR ends the line": dkim-canon.c) and at end of body,
 * so each message has its own DKIM_LIB and the flag is cleared for such
 * chunks and set again for any other chunk and for dkim_eom(): the
 * hashes are those of the flag always set.
 */
static bool chunk_clean(const unsigned char *p, size_t n,
    unsigned char prev)
{
	const unsigned char *q, *end = p + n;

	if (prev == '\r' && p[0] != '\n')
		return false;
	for (q = p; (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++)
		if ((q == p ? prev : q[-1]) != '\r')
			return false;
	for (q = p; (q = memchr(q, '\r', (size_t)(end - q))) != NULL; q++)
		if (q + 1 < end && q[1] != '\n')
			return false;
	return true;
}

/* Only this message uses v->lib, so its flags may change between calls;
 * when they cannot be changed the flag stays set (the safe side). */
static void set_fixcrlf(dkim_verify_t *v, bool on)
{
	uint32_t flags = DKIM_LIBFLAGS_BADSIGHANDLES |
	    (on ? DKIM_LIBFLAGS_FIXCRLF : 0);

	if (v->fixcrlf != on && dkim_options(v->lib, DKIM_OP_SETOPT,
	    DKIM_OPTS_FLAGS, &flags, sizeof(flags)) == DKIM_STAT_OK)
		v->fixcrlf = on;
}

int dkim_verify_body(dkim_verify_t *v, const unsigned char *p, size_t n)
{
	DKIM_STAT st;

	if (v == NULL)
		return -1;
	if (n == 0)
		return 0;
	dkim_length_body(&v->length, p, n);
	if (v->dkim == NULL || v->failed)
		return -1;
	if (!v->eoh_done && dkim_verify_eoh(v) < 0)
		return -1;
	set_fixcrlf(v, !chunk_clean(p, n, v->body_prev));
	st = dkim_body(v->dkim, (u_char *)p, n);
	v->body_prev = p[n - 1];
	if (st != DKIM_STAT_OK) {
		set_failure(v, "body", st);
		return -1;
	}
	return 0;
}

/* ---- result mapping ----------------------------------------------------- */

/* Decide one signature's result from libopendkim's state and our notes. */
static void sig_result(dkim_verify_t *v, DKIM_SIGINFO *sig, size_t idx,
    dkim_sig_result_t *r)
{
	unsigned flags = dkim_sig_getflags(sig);
	int err = dkim_sig_geterror(sig), bh = dkim_sig_getbh(sig);
	key_note_t *note = note_for(v, sig);
	const char *why = "", *ignored;
	long long l = 0;

	dkim_result_details(v->dkim, sig, r);
	if ((flags & DKIM_SIGFLAG_IGNORE) && idx >= v->max_sigs) {
		r->result = AUTH_PERMERROR;
		why = "too many signatures";
	} else if (note != NULL && (err != DKIM_SIGERROR_OK ||
	    note->result == AUTH_TEMPERROR)) {
		r->result = note->result;
		why = note->reason;
	} else if (dkim_result_key_mismatch(sig, r)) {
		r->result = AUTH_PERMERROR;
		why = "key type (k=) does not match a=";
	} else if (err != DKIM_SIGERROR_OK && err != DKIM_SIGERROR_UNKNOWN) {
		r->result = dkim_result_sigerror(err, bh, &why);
		r->body_hash_only = r->result == AUTH_FAIL &&
		    (flags & DKIM_SIGFLAG_PASSED) &&
		    bh == DKIM_SIGBH_MISMATCH && dkim_result_rfc8301(r, &ignored) ==
		    AUTH_PASS;
	} else if ((flags & DKIM_SIGFLAG_PASSED) && bh == DKIM_SIGBH_MATCH) {
		r->result = dkim_result_rfc8301(r, &why);
		if (r->result == AUTH_PASS && v->strict_length &&
		    dkim_length_check(&v->length, v->dkim, sig, &l)) {
			r->result = AUTH_POLICY;
			str_format(r->reason, sizeof(r->reason), "unsigned "
			    "content after l=%lld", l);
			return;
		}
	} else if (v->failed) {
		r->result = AUTH_PERMERROR;
		why = v->failure;
	} else {
		r->result = AUTH_PERMERROR;
		why = "signature not verified";
	}
	str_copy(r->reason, sizeof(r->reason), why);
}

/* libopendkim has no signature list: report the headers we saw. */
static void fallback_results(dkim_verify_t *v, dkim_results_t *out)
{
	size_t i;

	for (i = 0; i < v->nsighdr && out->count < EVAL_MAX_DKIM; i++) {
		dkim_sig_result_t *r = &out->sig[out->count++];

		if (i < EVAL_MAX_DKIM) {
			str_copy(r->domain, sizeof(r->domain),
			    v->sighdr[i].domain);
			str_copy(r->selector, sizeof(r->selector),
			    v->sighdr[i].selector);
		}
		r->result = AUTH_PERMERROR;
		if (i >= v->max_sigs) {
			str_copy(r->reason, sizeof(r->reason),
			    "too many signatures");
		} else {
			str_copy(r->reason, sizeof(r->reason), v->failed ?
			    v->failure : "signature not processed");
		}
	}
	if (v->nsighdr > v->max_sigs)
		out->ignored = v->nsighdr - v->max_sigs;
}

void dkim_verify_eom(dkim_verify_t *v, dkim_results_t *out)
{
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0, i;
	_Bool testkey = 0;
	DKIM_STAT st;

	if (out == NULL)
		return;
	memset(out, 0, sizeof(*out));
	if (v == NULL)
		return;
	if (v->dkim != NULL && !v->failed) {
		if (!v->eoh_done)
			dkim_verify_eoh(v);
		if (!v->failed) {
			set_fixcrlf(v, true);
			st = dkim_eom(v->dkim, &testkey);
			if (st != DKIM_STAT_OK && st != DKIM_STAT_NOSIG &&
			    st != DKIM_STAT_BADSIG && st != DKIM_STAT_NOKEY &&
			    st != DKIM_STAT_CANTVRFY && st != DKIM_STAT_REVOKED)
				set_failure(v, "end of message", st);
		}
	}
	dkim_length_finish(&v->length);
	if (v->dkim == NULL ||
	    dkim_getsiglist(v->dkim, &sigs, &nsigs) != DKIM_STAT_OK ||
	    sigs == NULL || nsigs <= 0) {
		fallback_results(v, out);
		return;
	}
	for (i = 0; i < nsigs; i++) {
		if ((size_t)i >= v->max_sigs)
			out->ignored++;
		if (out->count >= EVAL_MAX_DKIM)
			continue;
		sig_result(v, sigs[i], (size_t)i, &out->sig[out->count]);
		out->count++;
	}
}

void dkim_verify_free(dkim_verify_t *v)
{
	if (v == NULL)
		return;
	if (v->dkim != NULL)
		dkim_free(v->dkim);
	if (v->lib != NULL)
		lib_give(v->e, v->lib, v->fixcrlf);
	dkim_length_clear(&v->length);
	free(v);
}
