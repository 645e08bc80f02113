/*
 * spfwalk - static SPF lookup counting.  See spfwalk.h.
 */
#include "spfwalk.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../spf_syntax.h"
#include "../domain.h"

typedef struct walk {
	resolve_t *r;
	spfwalk_t *w;
	char seen[SPFWALK_MAX_NAMES][DOMAIN_MAX];
	size_t nseen;
	bool last_void;     /* the last walk_domain() TXT answer was empty */
} walk_t;

static void logf_(walk_t *k, int depth, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void logf_(walk_t *k, int depth, const char *fmt, ...)
{
	va_list ap;

	strbuf_appendf(&k->w->log, "%*s", 2 + 2 * depth, "");
	va_start(ap, fmt);
	strbuf_vappendf(&k->w->log, fmt, ap);
	va_end(ap);
	strbuf_putc(&k->w->log, '\n');
}

#define ERR(k, depth, ...) do { (k)->w->errors++; \
	logf_((k), (depth), "error: " __VA_ARGS__); } while (0)

/* Look name up; returns records found (0 void), -1 on DNS failure. */
static int count_rr(walk_t *k, const char *name, int type)
{
	dns_result_t res;
	int n;

	dns_lookup(k->r->dns, name, type, &res);
	n = res.status == DNSOPS_OK ? (int)res.count :
	    res.status == DNSOPS_TEMPFAIL ? -1 : 0;
	dns_result_free(&res);
	if (n < 0)
		k->w->tempfail = true;
	return n;
}

static void void_lookup(walk_t *k, int depth, const char *what)
{
	k->w->voids++;
	logf_(k, depth, "void lookup: %s (%u of %d)", what, k->w->voids,
	    SPFWALK_MAX_VOID);
}

static int walk_domain(walk_t *k, const char *domain, int depth);

/* The target of "a:x/24", "mx", "include:x": x, or the current domain. */
static void target(const char *arg, const char *domain, char *out,
    size_t size)
{
	size_t n;

	if (arg == NULL || *arg == '\0' || *arg == '/') {
		str_copy(out, size, domain);
		return;
	}
	n = strcspn(arg, "/");
	str_ncopy(out, size, arg, n);
	if (n > 0 && out[strlen(out) - 1] == '.')
		out[strlen(out) - 1] = '\0';
}

static void term_lookup(walk_t *k, const char *name, const char *arg,
    const char *domain, int depth)
{
	char t[DOMAIN_MAX + 64];
	int n, n6;

	k->w->lookups++;
	target(arg, domain, t, sizeof(t));
	logf_(k, depth, "%s%s%s: lookup %u of %d", name, arg ? ":" : "",
	    arg ? arg : "", k->w->lookups, SPFWALK_MAX_LOOKUPS);
	if (strchr(t, '%')) {
		logf_(k, depth + 1, "macro: not followed (depends on the message)");
		return;
	}
	if (strcmp(name, "include") == 0 || strcmp(name, "redirect") == 0) {
		if (walk_domain(k, t, depth + 1) == 0) {
			if (k->last_void)
				void_lookup(k, depth + 1, t);
			ERR(k, depth + 1, "%s target %s has no SPF record "
			    "(permerror)", name, t);
		}
	} else if (strcmp(name, "mx") == 0) {
		if ((n = count_rr(k, t, DNS_T_MX)) == 0)
			void_lookup(k, depth + 1, t);
		else if (n > 10)
			ERR(k, depth + 1, "%s has %d MX names (at most 10)", t, n);
	} else if (strcmp(name, "ptr") == 0) {
		logf_(k, depth + 1, "note: ptr is slow and discouraged "
		    "(RFC 7208 5.5)");
	} else {
		n = count_rr(k, t, DNS_T_A);
		n6 = strcmp(name, "a") == 0 ? count_rr(k, t, DNS_T_AAAA) : 0;
		if (n == 0 && n6 <= 0)
			void_lookup(k, depth + 1, t);
	}
}

/* Walk one record's terms. */
static void walk_terms(walk_t *k, const char *rec, const char *domain,
    int depth)
{
	char term[512], *arg, *name;
	const char *p = rec + 6, *redirect = NULL;
	char redirect_buf[512];
	bool has_all = false;
	size_t n;

	while (*p) {
		p += strspn(p, " ");
		if ((n = strcspn(p, " ")) == 0)
			break;
		str_ncopy(term, sizeof(term), p, n);
		p += n;
		name = term + (strchr("+-~?", term[0]) ? 1 : 0);
		arg = name + strcspn(name, ":=/");
		if (*arg == '=') {
			*arg = '\0';
			if (strcasecmp(name, "redirect") == 0) {
				str_copy(redirect_buf, sizeof(redirect_buf),
				    arg + 1);
				redirect = redirect_buf;
			}
			continue;
		}
		if (*arg == ':')
			*arg++ = '\0';
		else if (*arg == '/')
			arg = NULL;   /* "a/24": current domain */
		else
			arg = NULL;
		str_lower(name);
		if (strncmp(name, "a/", 2) == 0 || strncmp(name, "mx/", 3) == 0)
			name[strcspn(name, "/")] = '\0';
		if (strcmp(name, "all") == 0)
			has_all = true;
		else if (strcmp(name, "include") == 0 || strcmp(name, "a") == 0 ||
		    strcmp(name, "mx") == 0 || strcmp(name, "ptr") == 0 ||
		    strcmp(name, "exists") == 0)
			term_lookup(k, name, arg, domain, depth);
	}
	if (redirect && !has_all)
		term_lookup(k, "redirect", redirect, domain, depth);
	else if (redirect)
		logf_(k, depth, "redirect ignored: the record has \"all\"");
}

/* Returns 1 when domain has one SPF record (walked), 0 when none, -1 on
 * an error already logged. */
static int walk_domain(walk_t *k, const char *domain, int depth)
{
	char why[SPF_SYNTAX_WHY_MAX];
	txt_answer_t a;
	size_t i, found = 0, idx = 0;
	int rc;

	for (i = 0; i < k->nseen; i++)
		if (str_ieq(k->seen[i], domain)) {
			ERR(k, depth, "%s is included twice (loop or "
			    "repetition)", domain);
			return -1;
		}
	if (depth > SPFWALK_MAX_DEPTH || k->nseen >= SPFWALK_MAX_NAMES) {
		ERR(k, depth, "too deep or too many records; stopped");
		return -1;
	}
	str_copy(k->seen[k->nseen++], DOMAIN_MAX, domain);
	k->w->fetched++;
	if (dns_txt(k->r->dns, domain, &a) == DNSOPS_TEMPFAIL) {
		k->w->tempfail = true;
		logf_(k, depth, "%s: DNS failure (%s)", domain, a.reason);
		txt_answer_free(&a);
		return -1;
	}
	k->last_void = a.count == 0;
	for (i = 0; i < a.count; i++)
		if (spf_syntax_is_spf1(a.rec[i], a.len[i])) {
			found++;
			idx = i;
		}
	if (found != 1) {
		if (found > 1)
			ERR(k, depth, "%s has %zu SPF records (permerror)",
			    domain, found);
		txt_answer_free(&a);
		return found > 1 ? -1 : 0;
	}
	if (depth == 0)
		str_printable(k->w->record, sizeof(k->w->record), a.rec[idx],
		    a.len[idx]);
	rc = 1;
	if (spf_syntax_check(a.rec[idx], a.len[idx], why, sizeof(why)) < 0) {
		ERR(k, depth, "%s: SPF syntax: %s", domain, why);
		rc = -1;
	} else {
		walk_terms(k, a.rec[idx], domain, depth);
	}
	txt_answer_free(&a);
	return rc;
}

void spfwalk_run(resolve_t *r, const char *domain, spfwalk_t *w)
{
	walk_t *k = calloc(1, sizeof(*k));

	if (k == NULL)
		abort();
	memset(w, 0, sizeof(*w));
	strbuf_init(&w->log, 16384);
	k->r = r;
	k->w = w;
	w->found = walk_domain(k, domain, 0) != 0 && w->record[0] != '\0';
	if (w->lookups > SPFWALK_MAX_LOOKUPS) {
		w->errors++;
		strbuf_appendf(&w->log, "  error: %u DNS lookups, more than %d "
		    "(permerror at receivers)\n", w->lookups,
		    SPFWALK_MAX_LOOKUPS);
	}
	if (w->voids > SPFWALK_MAX_VOID) {
		w->errors++;
		strbuf_appendf(&w->log, "  error: %u void lookups, more than %d "
		    "(permerror at receivers)\n", w->voids, SPFWALK_MAX_VOID);
	}
	free(k);
}

void spfwalk_free(spfwalk_t *w)
{
	if (w)
		strbuf_free(&w->log);
}
