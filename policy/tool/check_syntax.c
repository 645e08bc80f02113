/*
 * check_syntax - every syntax problem of a DMARC record.  See
 * check_syntax.h.
 */
#include "check_syntax.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../util/strbuf.h"

typedef struct notes {
	char (*v)[DMARC_ERR_MAX];
	size_t n, max;
} notes_t;

static void add(notes_t *ns, const char *s, size_t len)
{
	size_t i;

	if (len == 0 || ns->n >= ns->max)
		return;
	str_ncopy(ns->v[ns->n], DMARC_ERR_MAX, s, len);
	for (i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], ns->v[ns->n]) == 0)
			return;
	ns->n++;
}

/* Add each "; "-separated note of msg; keep is asked about each one. */
static void add_all(notes_t *ns, const char *msg, bool (*keep)(const char *,
    size_t))
{
	size_t n;

	while (*msg) {
		n = strcspn(msg, ";");
		if (keep(msg, n))
			add(ns, msg, n);
		msg += n;
		msg += strspn(msg, "; ");
	}
}

static bool any_note(const char *s, size_t n)
{
	(void)s;
	return n > 0;
}

static bool whole_record_note(const char *s, size_t n)
{
	static const char *const per_tag[] = { "tag ", "malformed tag-spec",
		"duplicate tag", NULL };
	size_t i;

	for (i = 0; per_tag[i]; i++)
		if (n >= strlen(per_tag[i]) && strncmp(s, per_tag[i],
		    strlen(per_tag[i])) == 0)
			return false;
	return true;
}

static bool known_tag(const char *name, size_t n)
{
	static const char *const tags[] = { "v", "p", "sp", "np", "adkim",
		"aspf", "pct", "fo", "rf", "ri", "rua", "ruf", "t", "psd",
		NULL };
	size_t i;

	for (i = 0; tags[i]; i++)
		if (strlen(tags[i]) == n && strncasecmp(name, tags[i], n) == 0)
			return true;
	return false;
}

static bool seen_before(char (*seen)[8], size_t nseen, const char *name,
    size_t n)
{
	size_t i;

	for (i = 0; i < nseen; i++)
		if (strlen(seen[i]) == n && strncasecmp(seen[i], name, n) == 0)
			return true;
	return false;
}

/* The tag-spec at rec[start..end) parsed alone, at its own offset:
 * rec[0..vend) is "v=DMARC1;", the bytes between are blanked. */
static void one_tag(notes_t *ns, const char *rec, size_t vend, size_t start,
    size_t end)
{
	char *mini = malloc(end + 1), msg[DMARC_ERR_MAX], *cut;
	dmarc_record_t r;

	if (mini == NULL)
		abort();
	memcpy(mini, rec, vend);                 /* "v=DMARC1;" */
	memset(mini + vend, ' ', start - vend);
	memcpy(mini + start, rec + start, end - start);
	msg[0] = '\0';
	dmarc_record_parse(mini, end, &r, msg, sizeof(msg));
	/* p, sp or np alone "... and no valid rua URI: no DMARC processing":
	 * the rua may well be elsewhere in the record; keep the tag part */
	if ((cut = strstr(msg, " and no valid rua URI")) != NULL)
		*cut = '\0';
	add_all(ns, msg, any_note);
	free(mini);
}

size_t check_syntax_notes(const char *rec, size_t len, const char *full_err,
    char (*out)[DMARC_ERR_MAX], size_t max)
{
	notes_t ns = { out, 0, max };
	char seen[CHECK_MAX_NOTES][8], dup[DMARC_ERR_MAX];
	const char *semi = memchr(rec, ';', len);
	size_t vend = semi ? (size_t)(semi - rec) + 1 : len;
	size_t nseen = 0, pos, start, end, name, n;

	for (pos = vend; pos < len; pos = end + 1) {
		for (start = pos; start < len && (rec[start] == ' ' ||
		    rec[start] == '\t'); start++)
			;
		semi = memchr(rec + start, ';', len - start);
		end = semi ? (size_t)(semi - rec) : len;
		for (name = start; name < end && rec[name] != '=' &&
		    rec[name] != ' ' && rec[name] != '\t'; name++)
			;
		if (start == end)
			continue;
		n = name - start;
		if (known_tag(rec + start, n)) {
			if (seen_before(seen, nseen, rec + start, n)) {
				str_format(dup, sizeof(dup), "duplicate tag %.*s at "
				    "offset %zu: the record is invalid", (int)n,
				    rec + start, start);
				add(&ns, dup, strlen(dup));
				continue;
			}
			if (nseen < CHECK_MAX_NOTES)
				str_ncopy(seen[nseen++], sizeof(seen[0]),
				    rec + start, n);
		}
		one_tag(&ns, rec, vend, start, end);
	}
	add_all(&ns, full_err ? full_err : "", whole_record_note);
	return ns.n;
}
