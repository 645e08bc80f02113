/*
 * localpolicy - LocalPolicyFile entries.  See
 * localpolicy.h.
 */
#include "localpolicy.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/strbuf.h"
#include "../conf/config.h"
#include "../conf/config_check.h"

enum { SCOPE_FROM = 0, SCOPE_RCPT = 1 };

typedef struct lp_entry {
	int scope;
	char domain[FROM_DOMAIN_MAX];
	unsigned line;
	local_action_t action;
	bool has_stage;
	enforce_stage_t stage;
} lp_entry_t;

struct localpolicy {
	atomic_uint refs;
	char name[64];          /* file name (last component) for comments */
	size_t n;
	lp_entry_t *entry;      /* sorted by scope, then domain */
};

static const char *const scope_names[] = { "from", "rcpt" };


/* One SETTING word into e; -1 with why. */
static int lp_setting(lp_entry_t *e, const char *w, char *why, size_t len)
{
	local_action_t a = LOCAL_ACTION_NONE;

	if (str_ieq(w, "never-reject"))
		a = LOCAL_NEVER_REJECT;
	else if (str_ieq(w, "always-reject"))
		a = LOCAL_ALWAYS_REJECT;
	if (a != LOCAL_ACTION_NONE) {
		if (e->action != LOCAL_ACTION_NONE && e->action != a) {
			str_copy(why, len, "never-reject and always-reject "
			    "exclude each other");
			return -1;
		}
		e->action = a;
		return 0;
	}
	if (str_ieq(w, "monitor")) {
		e->has_stage = true;
		e->stage = ENFORCE_MONITOR;
		return 0;
	}
	if (strncasecmp(w, "enforcement=", 12) == 0) {
		if (enforce_stage_parse(w + 12, &e->stage) < 0) {
			str_copy(why, len, "enforcement= expects monitor, "
			    "quarantine or reject");
			return -1;
		}
		e->has_stage = true;
		return 0;
	}
	str_format(why, len, "unknown setting '%.40s'", w);
	return -1;
}

/* Split line (modified in place) into at most max words. */
static size_t lp_words(char *line, char **w, size_t max)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0' || *p == '#' || n == max)
			return *p && *p != '#' ? max + 1 : n;
		w[n++] = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = '\0';
	}
}

static int lp_entry_parse(char *line, lp_entry_t *e, char *why, size_t len)
{
	char *w[16];
	size_t n = lp_words(line, w, 16), i;

	memset(e, 0, sizeof(*e));
	if (n > 16) {
		str_copy(why, len, "too many words");
		return -1;
	}
	if (n < 3) {
		str_copy(why, len, "expected: from|rcpt DOMAIN SETTING...");
		return -1;
	}
	if (str_ieq(w[0], "from"))
		e->scope = SCOPE_FROM;
	else if (str_ieq(w[0], "rcpt"))
		e->scope = SCOPE_RCPT;
	else {
		str_format(why, len, "expected from or rcpt, not '%.40s'", w[0]);
		return -1;
	}
	if (config_domain_normalize(w[1], strlen(w[1]), e->domain,
	    sizeof(e->domain), why, len) < 0)
		return -1;
	for (i = 2; i < n; i++)
		if (lp_setting(e, w[i], why, len) < 0)
			return -1;
	/* always-reject means it, unless the entry names a stage itself. */
	if (e->action == LOCAL_ALWAYS_REJECT && !e->has_stage) {
		e->has_stage = true;
		e->stage = ENFORCE_REJECT;
	}
	return 0;
}

static int lp_cmp(const void *a, const void *b)
{
	const lp_entry_t *x = a, *y = b;

	if (x->scope != y->scope)
		return x->scope - y->scope;
	return strcmp(x->domain, y->domain);
}

/* Next line of text: NUL-terminated copy in line[], checked bytes. */
static int lp_line(const char *file, unsigned lineno, const char *p,
    size_t n, char *line, char *err, size_t errlen)
{
	size_t i;

	if (n > CONFIG_LINE_MAX) {
		config_file_error(err, errlen, file, lineno, "line too long");
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\t' && !(c == '\r' && i == n - 1)) ||
		    c == 0x7f) {
			config_file_error(err, errlen, file, lineno,
			    "control character 0x%02x in line", c);
			return -1;
		}
	}
	memcpy(line, p, n);
	line[n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[n - 1] = '\0';
	return 0;
}

static int lp_add(localpolicy_t *lp, size_t *cap, const lp_entry_t *e)
{
	lp_entry_t *bigger;

	if (lp->n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		bigger = realloc(lp->entry, *cap * sizeof(*bigger));
		if (bigger == NULL)
			abort();
		lp->entry = bigger;
	}
	lp->entry[lp->n++] = *e;
	return 0;
}

/* Every line, going on after a bad one: the count of errors. */
static unsigned lp_parse_text(localpolicy_t *lp, const char *file,
    const char *text, size_t len, char *err, size_t errlen)
{
	char line[CONFIG_LINE_MAX + 1], why[CONFIG_ERR_MAX];
	const char *p = text, *end = text + len, *nl;
	unsigned lineno = 0, errors = 0;
	size_t cap = 0;
	lp_entry_t e;

	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (lp_line(file, lineno, p, (size_t)((nl ? nl : end) - p),
		    line, err, errlen) < 0) {
			errors++;
			p = nl ? nl + 1 : end;
			continue;
		}
		p = nl ? nl + 1 : end;
		if (line[strspn(line, " \t")] == '\0' ||
		    line[strspn(line, " \t")] == '#')
			continue;
		if (lp->n >= LOCALPOLICY_MAX_ENTRIES) {
			config_file_error(err, errlen, file, lineno, "more than %d entries",
			    LOCALPOLICY_MAX_ENTRIES);
			return errors + 1;      /* the rest would say the same */
		}
		if (lp_entry_parse(line, &e, why, sizeof(why)) < 0) {
			config_file_error(err, errlen, file, lineno, "%s", why);
			errors++;
			continue;
		}
		e.line = lineno;
		lp_add(lp, &cap, &e);
	}
	return errors;
}

/* Sort; equal (scope, domain) pairs are an error naming both lines:
 * the count of errors. */
static unsigned lp_sort(localpolicy_t *lp, const char *file, char *err,
    size_t errlen)
{
	const lp_entry_t *a, *b;
	unsigned errors = 0;
	size_t i;

	if (lp->n > 1)
		qsort(lp->entry, lp->n, sizeof(lp->entry[0]), lp_cmp);
	for (i = 1; i < lp->n; i++) {
		if (lp_cmp(&lp->entry[i - 1], &lp->entry[i]) != 0)
			continue;
		a = &lp->entry[i - 1];
		b = &lp->entry[i];
		if (a->line > b->line) {
			a = b;
			b = &lp->entry[i - 1];
		}
		config_file_error(err, errlen, file, b->line, "duplicate entry for %s "
		    "%s (first at line %u)", scope_names[b->scope], b->domain,
		    a->line);
		errors++;
	}
	return errors;
}

localpolicy_t *localpolicy_parse(const char *name, const char *text,
    size_t len, char *err, size_t errlen)
{
	localpolicy_t *lp = calloc(1, sizeof(*lp));
	const char *base = strrchr(name, '/');
	unsigned errors;

	if (lp == NULL)
		abort();
	atomic_init(&lp->refs, 1);
	str_copy(lp->name, sizeof(lp->name), base ? base + 1 : name);
	err[0] = '\0';
	if (len > CONFIG_FILE_MAX) {
		config_file_error(err, errlen, name, 0, "larger than %d bytes",
		    CONFIG_FILE_MAX);
		goto fail;
	}
	errors = lp_parse_text(lp, name, text, len, err, errlen);
	errors += lp_sort(lp, name, err, errlen);
	config_errors_done(err, errlen, errors);
	if (errors > 0)
		goto fail;
	return lp;
fail:
	localpolicy_release(lp);
	return NULL;
}

localpolicy_t *localpolicy_load(const char *path, char *err, size_t errlen)
{
	localpolicy_t *lp;
	char *text;
	size_t len;

	if (config_read_file(path, &text, &len, err, errlen) < 0)
		return NULL;
	lp = localpolicy_parse(path, text, len, err, errlen);
	free(text);
	return lp;
}

localpolicy_t *localpolicy_retain(localpolicy_t *lp)
{
	if (lp)
		atomic_fetch_add(&lp->refs, 1);
	return lp;
}

void localpolicy_release(localpolicy_t *lp)
{
	if (lp == NULL || atomic_fetch_sub(&lp->refs, 1) != 1)
		return;
	free(lp->entry);
	free(lp);
}

size_t localpolicy_count(const localpolicy_t *lp)
{
	return lp ? lp->n : 0;
}

/* The most specific entry of scope for domain, or NULL. */
static const lp_entry_t *lp_find(const localpolicy_t *lp, int scope,
    const char *domain)
{
	lp_entry_t key;
	const lp_entry_t *hit;
	const char *d = domain;

	if (lp == NULL || lp->n == 0 || domain == NULL)
		return NULL;
	key.scope = scope;
	while (d && *d) {
		if (str_copy(key.domain, sizeof(key.domain), d) < 0)
			return NULL;
		hit = bsearch(&key, lp->entry, lp->n, sizeof(lp->entry[0]),
		    lp_cmp);
		if (hit)
			return hit;
		d = strchr(d, '.');
		if (d)
			d++;
	}
	return NULL;
}

static void lp_where(const localpolicy_t *lp, const lp_entry_t *e,
    char *out, size_t outlen)
{
	str_format(out, outlen, "%s:%u %s %s", lp->name, e->line,
	    scope_names[e->scope], e->domain);
}

/* Ranks for "most lenient": lower wins. */
static int stage_rank(enforce_stage_t s)
{
	return s == ENFORCE_MONITOR ? 0 : s == ENFORCE_QUARANTINE ? 1 : 2;
}

static int action_rank(local_action_t a)
{
	return a == LOCAL_NEVER_REJECT ? 0 : 1;
}

void localpolicy_lookup(const localpolicy_t *lp, const char *from_domain,
    const char (*rcpt)[FROM_DOMAIN_MAX], size_t nrcpt,
    localpolicy_match_t *out)
{
	const lp_entry_t *f = lp_find(lp, SCOPE_FROM, from_domain), *r;
	const lp_entry_t *act = NULL, *stg = NULL;
	bool act_fixed, stg_fixed;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (f && f->action != LOCAL_ACTION_NONE)
		act = f;
	if (f && f->has_stage)
		stg = f;
	act_fixed = act != NULL;
	stg_fixed = stg != NULL;
	for (i = 0; i < nrcpt && !(act_fixed && stg_fixed); i++) {
		if ((r = lp_find(lp, SCOPE_RCPT, rcpt[i])) == NULL)
			continue;
		if (!act_fixed && r->action != LOCAL_ACTION_NONE &&
		    (act == NULL ||
		    action_rank(r->action) < action_rank(act->action)))
			act = r;
		if (!stg_fixed && r->has_stage && (stg == NULL ||
		    stage_rank(r->stage) < stage_rank(stg->stage)))
			stg = r;
	}
	if (act) {
		out->action = act->action;
		lp_where(lp, act, out->action_where,
		    sizeof(out->action_where));
	}
	if (stg) {
		out->has_stage = true;
		out->stage = stg->stage;
		lp_where(lp, stg, out->stage_where, sizeof(out->stage_where));
	}
}

/* Entries are sorted by scope, rcpt last. */
bool localpolicy_has_rcpt(const localpolicy_t *lp)
{
	return lp != NULL && lp->n > 0 &&
	    lp->entry[lp->n - 1].scope == SCOPE_RCPT;
}

void localpolicy_rcpt_settings(const localpolicy_t *lp,
    const char *rcpt_domain, localpolicy_rcpt_t *out)
{
	const lp_entry_t *r = lp_find(lp, SCOPE_RCPT, rcpt_domain);

	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return;
	out->action = r->action;
	out->has_stage = r->has_stage;
	if (r->has_stage)
		out->stage = r->stage;
}

bool localpolicy_rcpt_same(const localpolicy_rcpt_t *a,
    const localpolicy_rcpt_t *b)
{
	return a->action == b->action && a->has_stage == b->has_stage &&
	    (!a->has_stage || a->stage == b->stage);
}
