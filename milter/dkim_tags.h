/*
 * dkim_tags - small bounded readers of DKIM-Signature tag values.
 *
 * SYNOPSIS
 *	dkim_sig_header_t h;
 *	dkim_tags_sig_header(value, &h);       d= and s= of a header value
 *	dkim_tag_copy(dst, size, src, n);
 *
 * DESCRIPTION
 *	dkim.c records the DKIM-Signature headers it sees with these, so
 *	that every signature can be reported even when libopendkim gives up
 *	on a message before building its own list.
 *
 *	dkim_tag_copy() copies n bytes of a tag value with all whitespace
 *	(folding) removed, made printable (str_printable) and cut to size.
 *	dkim_tags_sig_header() scans "tag=value; ..." for d= and s= (the
 *	last of each wins), each at most FROM_DOMAIN_MAX / SELECTOR_MAX;
 *	missing ones are "".  Nothing is allocated; any input is safe.
 */
#ifndef MILTER_DKIM_TAGS_H
#define MILTER_DKIM_TAGS_H

#include <stddef.h>

#include "../policy/evaluate.h"

typedef struct dkim_sig_header {
	char domain[FROM_DOMAIN_MAX];
	char selector[SELECTOR_MAX];
} dkim_sig_header_t;

void dkim_tag_copy(char *dst, size_t size, const char *src, size_t n);
void dkim_tags_sig_header(const char *value, dkim_sig_header_t *h);

#endif
