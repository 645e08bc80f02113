/*
 * dkim_tags - small bounded readers of DKIM-Signature tag values.  See
 * dkim_tags.h.
 */
#include "dkim_tags.h"

#include <ctype.h>
#include <string.h>

#include "../util/strbuf.h"

/* Copy a tag value with folding whitespace removed, made printable. */
void dkim_tag_copy(char *dst, size_t size, const char *src, size_t n)
{
	char tmp[FROM_DOMAIN_MAX + 64];
	size_t i, j = 0;

	for (i = 0; i < n && j + 1 < sizeof(tmp); i++)
		if (!isspace((unsigned char)src[i]))
			tmp[j++] = src[i];
	str_printable(dst, size, tmp, j);
}

/* Bounded tag=value scan of a DKIM-Signature value for d= and s=. */
void dkim_tags_sig_header(const char *value, dkim_sig_header_t *h)
{
	const char *p = value, *semi, *eq, *name, *end;
	size_t namelen;

	h->domain[0] = h->selector[0] = '\0';
	while (*p != '\0') {
		semi = strchr(p, ';');
		end = semi ? semi : p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq != NULL) {
			name = p;
			while (name < eq && isspace((unsigned char)*name))
				name++;
			namelen = (size_t)(eq - name);
			while (namelen > 0 &&
			    isspace((unsigned char)name[namelen - 1]))
				namelen--;
			if (namelen == 1 && name[0] == 'd')
				dkim_tag_copy(h->domain, sizeof(h->domain), eq + 1,
				    (size_t)(end - eq - 1));
			else if (namelen == 1 && name[0] == 's')
				dkim_tag_copy(h->selector, sizeof(h->selector),
				    eq + 1, (size_t)(end - eq - 1));
		}
		if (semi == NULL)
			break;
		p = semi + 1;
	}
	str_lower(h->domain);
}
