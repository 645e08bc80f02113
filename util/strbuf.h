/*
 * strbuf - bounded, growable string buffer used everywhere in dmarcwarden.
 *
 * SYNOPSIS
 *	strbuf_t sb; strbuf_init(&sb, 4096);
 *	strbuf_append(&sb, p, n); strbuf_appendf(&sb, "%s", s);
 *	use strbuf_str(&sb); strbuf_free(&sb);
 *
 * DESCRIPTION
 *	A strbuf owns a NUL-terminated heap buffer that never grows past the
 *	limit given to strbuf_init().  An append that would pass the limit
 *	appends nothing, sets the sticky `truncated` flag and returns -1, so a
 *	caller can check once at the end.  strbuf_str() never returns NULL.
 *	str_copy() is the bounded replacement for strcpy into fixed arrays.
 *
 * DIAGNOSTICS
 *	Allocation failure aborts (a mail filter cannot continue without
 *	memory; libmilter would tempfail the connection anyway).
 */
#ifndef STRBUF_H
#define STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct strbuf {
	char *s;        /* NUL-terminated contents, NULL until first append */
	size_t len;     /* bytes used, excluding the NUL */
	size_t cap;     /* bytes allocated */
	size_t max;     /* hard limit on len */
	bool truncated; /* an append was refused */
} strbuf_t;

void strbuf_init(strbuf_t *sb, size_t max);
int strbuf_append(strbuf_t *sb, const char *p, size_t n);
int strbuf_puts(strbuf_t *sb, const char *s);
int strbuf_putc(strbuf_t *sb, char c);
int strbuf_appendf(strbuf_t *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int strbuf_vappendf(strbuf_t *sb, const char *fmt, va_list ap);
const char *strbuf_str(const strbuf_t *sb);
void strbuf_reset(strbuf_t *sb);
void strbuf_free(strbuf_t *sb);
/* Take ownership of the buffer (never NULL; free with free()). */
char *strbuf_steal(strbuf_t *sb);

/* Copy src into dst[size]; returns 0, or -1 (dst holds a truncated,
 * terminated copy) when src does not fit. */
int str_copy(char *dst, size_t size, const char *src);
/* Same for n bytes of src (stops at a NUL). */
int str_ncopy(char *dst, size_t size, const char *src, size_t n);
/* snprintf that returns -1 on truncation or error, else the length. */
int str_format(char *dst, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* ASCII lower-case in place. */
void str_lower(char *s);
/* ASCII case-insensitive equality of two NUL-terminated strings. */
bool str_ieq(const char *a, const char *b);
/* Make untrusted bytes safe for one log line: copies at most size-1
 * bytes, replacing control and 8-bit bytes by '?'. */
void str_printable(char *dst, size_t size, const char *src, size_t n);

#endif
