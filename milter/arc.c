/*
 * arc - ARC chain validation (RFC 8617 5.2).  See arc.h for the contract
 * and arc_impl.h for the data layout.
 *
 * This file collects the header fields, checks the chain's structure
 * (steps 1-3), runs the signature checks of arc_sig.c in the RFC's order
 * (newest AMS, older AMS for oldest-pass, every AS from the newest down)
 * and fills the result.  No I/O here but what arc_sig.c does for keys.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/strbuf.h"
#include "arc_impl.h"
#include "arc_tags.h"

static const arc_result_t no_arc;       /* cv none, nothing else */

static const char *const kind_name[3] = {
	"ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal",
};

/* ---- engine ------------------------------------------------------------ */

static dnsops_status_t no_txt(void *ctx, const char *name, txt_answer_t *out)
{
	txt_answer_init(out);
	str_copy(out->reason, sizeof(out->reason), "no resolver");
	return DNSOPS_TEMPFAIL;
}

arc_engine_t *arc_engine_new_ops(const dns_ops_t *ops, char *err,
    size_t errlen)
{
	arc_engine_t *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		str_copy(err, errlen, "arc: out of memory");
		return NULL;
	}
	if (ops != NULL && ops->txt != NULL)
		e->ops = *ops;
	else
		e->ops.txt = no_txt;
	return e;
}

arc_engine_t *arc_engine_new(dns_resolver_t *r, char *err, size_t errlen)
{
	dns_ops_t ops;

	memset(&ops, 0, sizeof(ops));
	if (r != NULL)
		dns_resolver_ops(r, &ops);
	return arc_engine_new_ops(&ops, err, errlen);
}

void arc_engine_free(arc_engine_t *e)
{
	free(e);
}

const char *arc_cv_name(arc_cv_t cv)
{
	switch (cv) {
	case ARC_CV_PASS: return "pass";
	case ARC_CV_FAIL: return "fail";
	default: return "none";
	}
}

unsigned arc_oldest_pass_property(const arc_result_t *r)
{
	if (r == NULL || r->cv != ARC_CV_PASS || r->oldest_pass <= 1)
		return 0;
	return r->oldest_pass;
}

/* ---- collecting header fields ------------------------------------------ */

arc_verify_t *arc_verify_new(arc_engine_t *e)
{
	arc_verify_t *v = calloc(1, sizeof(*v));

	if (v == NULL)
		abort();
	v->e = e;
	v->max_fields = ARC_HDR_MAX;
	v->max_bytes = ARC_STORE_MAX;
	strbuf_init(&v->store, ARC_STORE_MAX);
	strbuf_init(&v->canon, ARC_STORE_MAX + 2 * ARC_FIELD_MAX);
	memset(v->slot, 0xff, sizeof(v->slot));         /* all -1 */
	return v;
}

void arc_verify_limits(arc_verify_t *v, size_t max_fields, size_t max_bytes)
{
	if (v == NULL)
		return;
	if (max_fields != 0 && max_fields < ARC_HDR_MAX)
		v->max_fields = max_fields;
	if (max_bytes != 0 && max_bytes < ARC_STORE_MAX)
		v->max_bytes = max_bytes;
}

void arc_verify_set_time(arc_verify_t *v, time_t now)
{
	if (v != NULL)
		v->now = now;
}

void arc_verify_free(arc_verify_t *v)
{
	if (v == NULL)
		return;
	strbuf_free(&v->store);
	strbuf_free(&v->canon);
	free(v->hdr);
	free(v->table);
	free(v->cursor);
	free(v->cursor_gen);
	arc_bodyhash_free(v->bh[0]);
	arc_bodyhash_free(v->bh[1]);
	arc_keys_free(v);
	free(v->res);
	free(v);
}

static void set_broken(arc_verify_t *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_broken(arc_verify_t *v, const char *fmt, ...)
{
	va_list ap;

	if (v->broken[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(v->broken, sizeof(v->broken), fmt, ap);
	va_end(ap);
}

static bool is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

uint32_t arc_name_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;               /* FNV-1a */
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = (h ^ c) * 16777619u;
	}
	return h;
}

static int arc_kind(const char *name, size_t n)
{
	int k;

	for (k = 0; k < 3; k++)
		if (strlen(kind_name[k]) == n &&
		    strncasecmp(name, kind_name[k], n) == 0)
			return k;
	return -1;
}

/* Keep one field; returns its index, or -1 past the limits. */
static int store_field(arc_verify_t *v, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	arc_hdr_t *h;

	if (v->overflow)
		return -1;
	if (v->nhdr == v->max_fields)
		str_format(v->overflow_why, sizeof(v->overflow_why), "more "
		    "than %zu header fields, MaxHeaderFields", v->max_fields);
	else if (v->store.len + nlen + vlen > v->max_bytes)
		str_format(v->overflow_why, sizeof(v->overflow_why), "header "
		    "fields over %zu bytes, MaxHeaderBytes", v->max_bytes);
	if (v->overflow_why[0] != '\0') {
		v->overflow = true;
		return -1;
	}
	if (v->nhdr == v->hcap) {
		size_t cap = v->hcap ? 2 * v->hcap : 64;
		arc_hdr_t *nh = realloc(v->hdr, cap * sizeof(*nh));

		if (nh == NULL)
			abort();
		v->hdr = nh;
		v->hcap = cap;
	}
	h = &v->hdr[v->nhdr];
	h->name_off = v->store.len;
	h->name_len = nlen;
	strbuf_append(&v->store, name, nlen);
	h->val_off = v->store.len;
	h->val_len = vlen;
	strbuf_append(&v->store, value, vlen);
	while (nlen > 0 && is_wsp(name[nlen - 1]))
		nlen--;
	h->match_len = nlen;
	h->hash = arc_name_hash(name, nlen);
	h->prev_same = -1;
	return (int)v->nhdr++;
}

const char *arc_hname(const arc_verify_t *v, int i)
{
	return v->store.s + v->hdr[i].name_off;
}

const char *arc_hval(const arc_verify_t *v, int i)
{
	return v->store.s + v->hdr[i].val_off;
}

/* [CFWS]: whitespace and (nested, bounded) comments. */
static size_t skip_cfws(const char *s, size_t i, size_t n)
{
	int depth = 0;

	while (i < n) {
		if (depth == 0 && (is_wsp(s[i]) || s[i] == '\r' ||
		    s[i] == '\n')) {
			i++;
		} else if (s[i] == '(' && depth < 8) {
			depth++;
			i++;
		} else if (depth > 0 && s[i] == '\\' && i + 1 < n) {
			i += 2;
		} else if (depth > 0) {
			if (s[i] == ')')
				depth--;
			i++;
		} else {
			break;
		}
	}
	return i;
}

/* 1*2DIGIT with a value of 1..50; 0 if not. */
static unsigned position(const char *s, size_t n)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 2)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v >= 1 && v <= ARC_MAX_INSTANCES ? v : 0;
}

/* AAR: instance [CFWS] ";" ...  Returns the instance, 0 if malformed;
 * *rest is the offset after the ";". */
static unsigned aar_instance(const char *s, size_t n, size_t *rest)
{
	size_t i = skip_cfws(s, 0, n), digits, end;
	unsigned inst;

	if (i >= n || s[i] != 'i')
		return 0;
	i = skip_cfws(s, i + 1, n);
	if (i >= n || s[i] != '=')
		return 0;
	digits = skip_cfws(s, i + 1, n);
	for (end = digits; end < n && s[end] >= '0' && s[end] <= '9'; end++)
		;
	if ((inst = position(s + digits, end - digits)) == 0)
		return 0;
	i = skip_cfws(s, end, n);
	if (i >= n || s[i] != ';')
		return 0;
	*rest = i + 1;
	return inst;
}

/* AMS, AS: the i= tag of the tag-list. */
static unsigned sig_instance(const char *s, size_t n, char *why,
    size_t whylen)
{
	const arc_tag_t *t;
	arc_tags_t tags;
	unsigned inst;

	if (arc_tags_parse(s, n, &tags, why, whylen) < 0)
		return 0;
	if ((t = arc_tags_get(&tags, "i")) == NULL) {
		str_copy(why, whylen, "no i= tag");
		return 0;
	}
	if ((inst = position(t->val, t->val_len)) == 0)
		str_copy(why, whylen, "i= not in 1..50");
	return inst;
}

static void ensure_result(arc_verify_t *v)
{
	if (v->res == NULL && (v->res = calloc(1, sizeof(*v->res))) == NULL)
		abort();
}

static void note_arc(arc_verify_t *v, int kind, int idx, const char *value,
    size_t vlen)
{
	char why[ARC_REASON_MAX] = "";
	unsigned inst;
	size_t rest;

	ensure_result(v);
	if (++v->narc > ARC_FIELDS_MAX) {      /* RFC 8617 5.2 step 1 */
		if (v->narc == ARC_FIELDS_MAX + 1)
			str_format(v->broken, sizeof(v->broken), "more than %d "
			    "ARC header fields", ARC_FIELDS_MAX);
		return;
	}
	if (vlen > ARC_FIELD_MAX) {
		set_broken(v, "%s longer than %d bytes", kind_name[kind],
		    ARC_FIELD_MAX);
		return;
	}
	if (idx < 0) {
		set_broken(v, "%s", v->overflow_why);
		return;
	}
	if (kind == ARC_AAR) {
		if ((inst = aar_instance(value, vlen, &rest)) == 0)
			str_copy(why, sizeof(why), "does not start with i=N;");
	} else {
		inst = sig_instance(value, vlen, why, sizeof(why));
	}
	if (inst == 0) {
		set_broken(v, "%s: %s", kind_name[kind], why);
		return;
	}
	if (v->slot[inst][kind] >= 0) {
		set_broken(v, "i=%u: duplicate %s", inst, kind_name[kind]);
		return;
	}
	v->slot[inst][kind] = idx;
	if (inst > v->maxi)
		v->maxi = inst;
}

int arc_verify_header(arc_verify_t *v, const char *name, const char *value)
{
	size_t nlen, vlen;
	int kind, idx;

	if (v == NULL || name == NULL || value == NULL || v->eoh)
		return -1;
	nlen = strlen(name);
	vlen = strlen(value);
	idx = store_field(v, name, nlen, value, vlen);
	while (nlen > 0 && is_wsp(name[nlen - 1]))
		nlen--;
	if ((kind = arc_kind(name, nlen)) >= 0)
		note_arc(v, kind, idx, value, vlen);
	return idx < 0 ? -1 : 0;
}

/* ---- end of header: structure, name index, body hashers ---------------- */

/* The cv= of the AS of instance i into buf ("" if absent). */
static void seal_cv(const arc_verify_t *v, unsigned i, char *buf,
    size_t len)
{
	int idx = v->slot[i][ARC_AS];
	const arc_tag_t *t;
	arc_tags_t tags;

	buf[0] = '\0';
	if (idx < 0 || arc_tags_parse(arc_hval(v, idx), v->hdr[idx].val_len,
	    &tags, NULL, 0) < 0 || (t = arc_tags_get(&tags, "cv")) == NULL)
		return;
	str_printable(buf, len, t->val, t->val_len);
	str_lower(buf);
}

/* RFC 8617 5.2 steps 2 and 3. */
static void check_structure(arc_verify_t *v)
{
	unsigned i, n = v->maxi;
	char cv[16];
	int k;

	seal_cv(v, n, cv, sizeof(cv));
	if (strcmp(cv, "fail") == 0) {
		set_broken(v, "i=%u: chain already marked cv=fail", n);
		return;
	}
	for (i = 1; i <= n; i++) {
		if (v->slot[i][0] < 0 && v->slot[i][1] < 0 &&
		    v->slot[i][2] < 0) {
			set_broken(v, "gap at i=%u", i);
			return;
		}
		for (k = 0; k < 3; k++)
			if (v->slot[i][k] < 0) {
				set_broken(v, "i=%u: no %s", i, kind_name[k]);
				return;
			}
		seal_cv(v, i, cv, sizeof(cv));
		if (strcmp(cv, i == 1 ? "none" : "pass") != 0) {
			set_broken(v, "i=%u: cv=%s (must be %s)", i,
			    cv[0] ? cv : "(missing)", i == 1 ? "none" : "pass");
			return;
		}
	}
}

static bool same_name(const arc_verify_t *v, int a, const char *name,
    size_t n, uint32_t hash)
{
	return v->hdr[a].hash == hash && v->hdr[a].match_len == n &&
	    strncasecmp(arc_hname(v, a), name, n) == 0;
}

/* Slot of name in the table: where it is, or the empty slot for it. */
static size_t table_slot(const arc_verify_t *v, const char *name, size_t n,
    uint32_t hash)
{
	size_t mask = v->tsize - 1, s = hash & mask;

	while (v->table[s] >= 0 && !same_name(v, v->table[s], name, n, hash))
		s = (s + 1) & mask;
	return s;
}

static void build_index(arc_verify_t *v)
{
	size_t i, s;

	for (v->tsize = 16; v->tsize < 2 * v->nhdr; v->tsize *= 2)
		;
	v->table = malloc(v->tsize * sizeof(*v->table));
	v->cursor = malloc(v->tsize * sizeof(*v->cursor));
	v->cursor_gen = calloc(v->tsize, sizeof(*v->cursor_gen));
	if (v->table == NULL || v->cursor == NULL || v->cursor_gen == NULL)
		abort();
	memset(v->table, 0xff, v->tsize * sizeof(*v->table));
	for (i = 0; i < v->nhdr; i++) {
		s = table_slot(v, arc_hname(v, (int)i), v->hdr[i].match_len,
		    v->hdr[i].hash);
		v->hdr[i].prev_same = v->table[s];
		v->table[s] = (int)i;
	}
}

void arc_select_reset(arc_verify_t *v)
{
	v->gen++;
}

int arc_select(arc_verify_t *v, const char *name, size_t n)
{
	uint32_t hash = arc_name_hash(name, n);
	size_t s;
	int idx;

	if (v->table == NULL || n == 0)
		return -1;
	s = table_slot(v, name, n, hash);
	if (v->table[s] < 0)
		return -1;
	if (v->cursor_gen[s] != v->gen) {
		v->cursor_gen[s] = v->gen;
		v->cursor[s] = v->table[s];
	}
	if ((idx = v->cursor[s]) >= 0)
		v->cursor[s] = v->hdr[idx].prev_same;
	return idx;
}

int arc_verify_eoh(arc_verify_t *v)
{
	arc_canon_t body;
	bool need[2] = { false, false };
	unsigned i;
	int c;

	if (v == NULL || v->eoh)
		return 0;
	v->eoh = true;
	if (v->narc == 0)
		return 0;
	if (v->overflow)
		set_broken(v, "%s", v->overflow_why);
	if (v->broken[0] == '\0')
		check_structure(v);
	if (v->broken[0] != '\0')
		return 0;
	build_index(v);
	for (i = 1; i <= v->maxi; i++)
		if (arc_ams_body_canon(v, i, &body) == 0)
			need[body] = true;
	for (c = 0; c < 2; c++)
		if (need[c] && (v->bh[c] = arc_bodyhash_new((arc_canon_t)c))
		    == NULL) {
			set_broken(v, "cannot set up SHA-256");
			return -1;
		}
	return 0;
}

int arc_verify_body(arc_verify_t *v, const unsigned char *p, size_t n)
{
	if (v == NULL || v->eom)
		return -1;
	if (!v->eoh)
		arc_verify_eoh(v);
	arc_bodyhash_update(v->bh[0], p, n);
	arc_bodyhash_update(v->bh[1], p, n);
	return 0;
}

/* ---- end of message ----------------------------------------------------- */

/* Copy a tag value, printable and bounded, into dst. */
static void tag_copy(char *dst, size_t size, const arc_tags_t *tags,
    const char *name, bool lower)
{
	const arc_tag_t *t = arc_tags_get(tags, name);

	dst[0] = '\0';
	if (t == NULL)
		return;
	str_printable(dst, size, t->val, t->val_len < size ? t->val_len :
	    size - 1);
	if (lower)
		str_lower(dst);
}

/* The AAR text after "i=N;", unfolded, trimmed, cut to fit. */
static void aar_text(char *dst, size_t size, const char *s, size_t n)
{
	size_t i = 0, o = 0, rest = 0;

	aar_instance(s, n, &rest);
	for (i = rest; i < n && (is_wsp(s[i]) || s[i] == '\r' ||
	    s[i] == '\n'); i++)
		;
	for (; i < n && o + 1 < size; i++)
		if (s[i] != '\r' && s[i] != '\n')
			dst[o++] = s[i];
	while (o > 0 && is_wsp(dst[o - 1]))
		o--;
	dst[o] = '\0';
}

static void fill_info(arc_verify_t *v)
{
	arc_tags_t tags;
	unsigned i;
	int idx;

	v->res->nsets = v->maxi;
	for (i = 1; i <= v->maxi; i++) {
		arc_set_info_t *s = &v->res->set[i - 1];

		s->instance = i;
		if ((idx = v->slot[i][ARC_AS]) >= 0 && arc_tags_parse(
		    arc_hval(v, idx), v->hdr[idx].val_len, &tags, NULL, 0) == 0) {
			tag_copy(s->sealer, sizeof(s->sealer), &tags, "d", true);
			tag_copy(s->selector, sizeof(s->selector), &tags, "s",
			    false);
		}
		if ((idx = v->slot[i][ARC_AMS]) >= 0 && arc_tags_parse(
		    arc_hval(v, idx), v->hdr[idx].val_len, &tags, NULL, 0) == 0) {
			tag_copy(s->ams_domain, sizeof(s->ams_domain), &tags,
			    "d", true);
			s->ams_signs_from = arc_tag_list_has(arc_tags_get(&tags,
			    "h"), "from");
		}
		if ((idx = v->slot[i][ARC_AAR]) >= 0)
			aar_text(s->aar, sizeof(s->aar), arc_hval(v, idx),
			    v->hdr[idx].val_len);
	}
}

static void chain_fails(arc_verify_t *v, arc_sig_status_t st,
    const char *why)
{
	v->res->cv = ARC_CV_FAIL;
	v->res->temperror = st == ARC_SIG_TEMPFAIL;
	v->res->oldest_pass = 0;
	str_copy(v->res->reason, sizeof(v->res->reason), why);
}

/* RFC 8617 5.2 steps 4-7. */
static void validate(arc_verify_t *v)
{
	unsigned char digest[ARC_MAX_INSTANCES + 1][ARC_DIGEST_LEN];
	char why[ARC_REASON_MAX];
	unsigned i, n = v->maxi, oldest = n;
	arc_sig_status_t st;

	if ((st = arc_check_ams(v, n, why, sizeof(why))) != ARC_SIG_PASS) {
		chain_fails(v, st, why);
		return;
	}
	v->res->set[n - 1].ams_valid = true;
	for (i = n - 1; i >= 1; i--) {          /* oldest-pass (optional) */
		if (arc_check_ams(v, i, why, sizeof(why)) != ARC_SIG_PASS)
			break;
		v->res->set[i - 1].ams_valid = true;
		oldest = i;
	}
	if (arc_seal_digests(v, digest, why, sizeof(why)) < 0) {
		chain_fails(v, ARC_SIG_FAIL, why);
		return;
	}
	for (i = n; i >= 1; i--) {
		st = arc_check_as(v, i, digest[i], why, sizeof(why));
		if (st != ARC_SIG_PASS) {
			chain_fails(v, st, why);
			return;
		}
		v->res->set[i - 1].as_valid = true;
	}
	v->res->cv = ARC_CV_PASS;
	v->res->oldest_pass = oldest;
}

const arc_result_t *arc_verify_eom(arc_verify_t *v)
{
	int c;

	if (v == NULL)
		return &no_arc;
	if (!v->eoh)
		arc_verify_eoh(v);
	if (v->narc == 0)
		return &no_arc;
	if (v->eom)
		return v->res;
	v->eom = true;
	if (v->now == 0)
		v->now = time(NULL);
	fill_info(v);
	if (v->broken[0] != '\0') {
		chain_fails(v, ARC_SIG_FAIL, v->broken);
		return v->res;
	}
	for (c = 0; c < 2; c++)
		if (v->bh[c] != NULL)
			arc_bodyhash_final(v->bh[c], v->bodyhash[c]);
	validate(v);
	return v->res;
}
