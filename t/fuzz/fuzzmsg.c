/*
 * fuzzmsg - fuzz input layout for whole-message targets.  See fuzzmsg.h.
 */
#include "fuzzmsg.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/strbuf.h"

#define FUZZ_HEADER_MAX (1024 * 1024)

static void take_word(const char **p, const char *end, char *out,
    size_t outlen)
{
	const char *s;

	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
	s = *p;
	while (*p < end && **p != ' ' && **p != '\t')
		(*p)++;
	str_ncopy(out, outlen, s, (size_t)(*p - s));
}

static void envelope(const char *p, const char *end, fuzz_msg_t *m)
{
	size_t n;

	take_word(&p, end, m->ip, sizeof(m->ip));
	take_word(&p, end, m->helo, sizeof(m->helo));
	take_word(&p, end, m->mailfrom, sizeof(m->mailfrom));
	take_word(&p, end, m->options, sizeof(m->options));
	n = strlen(m->mailfrom);
	if (n > 0 && m->mailfrom[n - 1] == '\r')
		m->mailfrom[n - 1] = '\0';
	if (strcmp(m->mailfrom, "<>") == 0)
		m->mailfrom[0] = '\0';
}

void fuzz_msg_split(const uint8_t *data, size_t size, fuzz_msg_t *m)
{
	const char *s = (const char *)data, *end = s + size, *sep = NULL;
	const char *p, *nl;

	memset(m, 0, sizeof(*m));
	for (p = s; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			break;
		if (nl - p == 2 && p[0] == '%' && p[1] == '%') {
			sep = p;
			break;
		}
	}
	if (sep == NULL) {
		str_copy(m->ip, sizeof(m->ip), "192.0.2.1");
		str_copy(m->helo, sizeof(m->helo), "mail.example.org");
		str_copy(m->mailfrom, sizeof(m->mailfrom),
		    "sender@example.org");
		m->msg = data;
		m->msglen = size;
		return;
	}
	m->zone = s;
	m->zonelen = (size_t)(sep - s);
	p = sep + 3;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == NULL)
		nl = end;
	envelope(p, nl, m);
	p = nl < end ? nl + 1 : end;
	m->msg = (const uint8_t *)p;
	m->msglen = (size_t)(end - p);
}

/* Length of the line at p (without LF and one CR before it) and the
 * offset after it. */
static size_t line_at(const char *p, size_t len, size_t *next)
{
	const char *nl = memchr(p, '\n', len);
	size_t n = nl ? (size_t)(nl - p) : len;

	*next = nl ? n + 1 : len;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

static void emit(strbuf_t *field, fuzz_header_fn fn, void *ctx)
{
	char *s, *colon;

	if (field->len == 0 || field->truncated)
		goto out;
	s = (char *)strbuf_str(field);
	colon = strchr(s, ':');
	if (colon != NULL) {
		*colon = '\0';
		fn(ctx, s, colon + 1);
	}
out:
	strbuf_reset(field);
}

size_t fuzz_msg_headers(const uint8_t *msg, size_t len, fuzz_header_fn fn,
    void *ctx)
{
	const char *s = (const char *)msg;
	size_t off = 0, n, next;
	strbuf_t field;

	strbuf_init(&field, FUZZ_HEADER_MAX);
	while (off < len) {
		n = line_at(s + off, len - off, &next);
		if (n == 0) {
			off += next;
			emit(&field, fn, ctx);
			strbuf_free(&field);
			return off;
		}
		if (s[off] == ' ' || s[off] == '\t') {
			if (field.len > 0) {
				strbuf_putc(&field, '\n');
				strbuf_append(&field, s + off, n);
			}
		} else {
			emit(&field, fn, ctx);
			strbuf_append(&field, s + off, n);
		}
		off += next;
	}
	emit(&field, fn, ctx);
	strbuf_free(&field);
	return len;
}
