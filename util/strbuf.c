/*
 * strbuf - bounded, growable string buffer.  See strbuf.h.
 */
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL)
		abort();
	return q;
}

void strbuf_init(strbuf_t *sb, size_t max)
{
	sb->s = NULL;
	sb->len = 0;
	sb->cap = 0;
	sb->max = max;
	sb->truncated = false;
}

static int strbuf_reserve(strbuf_t *sb, size_t n)
{
	size_t want;

	if (n > sb->max - sb->len) {
		sb->truncated = true;
		return -1;
	}
	want = sb->len + n + 1;
	if (want <= sb->cap)
		return 0;
	if (sb->cap == 0)
		sb->cap = 64;
	while (sb->cap < want)
		sb->cap *= 2;
	sb->s = xrealloc(sb->s, sb->cap);
	return 0;
}

int strbuf_append(strbuf_t *sb, const char *p, size_t n)
{
	if (strbuf_reserve(sb, n) < 0)
		return -1;
	if (n > 0)
		memcpy(sb->s + sb->len, p, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
	return 0;
}

int strbuf_puts(strbuf_t *sb, const char *s)
{
	return strbuf_append(sb, s, strlen(s));
}

int strbuf_putc(strbuf_t *sb, char c)
{
	return strbuf_append(sb, &c, 1);
}

int strbuf_vappendf(strbuf_t *sb, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || strbuf_reserve(sb, (size_t)n) < 0) {
		sb->truncated = true;
		return -1;
	}
	vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int strbuf_appendf(strbuf_t *sb, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = strbuf_vappendf(sb, fmt, ap);
	va_end(ap);
	return rc;
}

const char *strbuf_str(const strbuf_t *sb)
{
	return sb->s ? sb->s : "";
}

void strbuf_reset(strbuf_t *sb)
{
	sb->len = 0;
	sb->truncated = false;
	if (sb->s)
		sb->s[0] = '\0';
}

void strbuf_free(strbuf_t *sb)
{
	if (sb == NULL)
		return;
	free(sb->s);
	strbuf_init(sb, sb->max);
}

char *strbuf_steal(strbuf_t *sb)
{
	char *s = sb->s;

	if (s == NULL) {
		s = xrealloc(NULL, 1);
		s[0] = '\0';
	}
	strbuf_init(sb, sb->max);
	return s;
}

int str_ncopy(char *dst, size_t size, const char *src, size_t n)
{
	size_t len = strnlen(src, n);

	if (size == 0)
		return -1;
	if (len >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

int str_copy(char *dst, size_t size, const char *src)
{
	return str_ncopy(dst, size, src, strlen(src));
}

int str_format(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

void str_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static int ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

bool str_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
			return false;
	return *a == *b;
}

void str_printable(char *dst, size_t size, const char *src, size_t n)
{
	size_t i;

	if (size == 0)
		return;
	for (i = 0; i < n && i + 1 < size; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	dst[i] = '\0';
}
