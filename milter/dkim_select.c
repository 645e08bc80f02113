/*
 * dkim_select - verify the signatures aligned with From first.  See
 * dkim_select.h.
 */
#include "dkim_select.h"

#include <ctype.h>
#include <string.h>

#include <libpsl.h>

#include "../util/strbuf.h"

#define SELECT_NAME_MAX 256

/* Lower-cased registrable domain of name (or name itself) into out. */
static void org_of(const char *name, char *out, size_t outlen)
{
	char low[SELECT_NAME_MAX];
	const char *reg = NULL;
	const psl_ctx_t *psl = psl_builtin();
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < sizeof(low); i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[i] = '\0';
	if (i > 0 && low[i - 1] == '.')
		low[i - 1] = '\0';
	if (psl != NULL)
		reg = psl_registrable_domain(psl, low);
	str_copy(out, outlen, reg ? reg : low);
}

bool dkim_select_aligned(const char *d, const char *from)
{
	char a[SELECT_NAME_MAX], b[SELECT_NAME_MAX];

	if (d == NULL || from == NULL || *d == '\0' || *from == '\0')
		return false;
	org_of(d, a, sizeof(a));
	org_of(from, b, sizeof(b));
	return strcmp(a, b) == 0;
}

void dkim_select_order(const char *const *domains, size_t n,
    const char *from_domain, size_t *order)
{
	size_t i, k = 0;
	bool use = from_domain != NULL && *from_domain != '\0';

	for (i = 0; i < n; i++)
		if (use && dkim_select_aligned(domains[i], from_domain))
			order[k++] = i;
	for (i = 0; i < n; i++)
		if (!use || !dkim_select_aligned(domains[i], from_domain))
			order[k++] = i;
}
