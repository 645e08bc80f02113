/*
 * align - DMARC identifier alignment.  See align.h.
 */
#include "align.h"

#include <string.h>
#include <strings.h>

#include "../util/strbuf.h"

static size_t name_len(const char *s)
{
	size_t n = strlen(s);

	return (n > 0 && s[n - 1] == '.') ? n - 1 : n;
}

static bool same_name(const char *a, const char *b)
{
	size_t na = name_len(a), nb = name_len(b);

	return na == nb && strncasecmp(a, b, na) == 0;
}

bool domain_within(const char *name, const char *parent)
{
	size_t n = name_len(name), p = name_len(parent);

	if (p == 0 || n < p)
		return false;
	if (strncasecmp(name + (n - p), parent, p) != 0)
		return false;
	return n == p || name[n - p - 1] == '.';
}

int align_check(const char *from_domain, const char *from_org,
    const char *id_domain, dmarc_align_t mode, const discovery_cfg_t *cfg,
    const dns_ops_t *dns, unsigned *queries)
{
	char id_org[FROM_DOMAIN_MAX];
	unsigned q = 0;

	if (id_domain == NULL || *id_domain == '\0')
		return 0;
	if (same_name(from_domain, id_domain))
		return 1;
	if (mode == DMARC_ALIGN_STRICT)
		return 0;
	/* Same organizational domain implies the identifier is within it. */
	if (from_org == NULL || *from_org == '\0' ||
	    !domain_within(id_domain, from_org))
		return 0;
	if (dmarc_org_domain(id_domain, cfg, dns, id_org, sizeof(id_org),
	    &q) != DNSOPS_OK) {
		if (queries)
			*queries += q;
		return -1;
	}
	if (queries)
		*queries += q;
	return same_name(id_org, from_org) ? 1 : 0;
}
