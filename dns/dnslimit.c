/*
 * dnslimit - a bound on the DNS lookups in flight for one domain.
 *
 * See dnslimit.h.  The slots form a doubly linked list under the mutex;
 * counting one domain walks it, which is cheap next to a DNS round trip
 * (one slot per milter thread waiting on DNS).
 */
#include "dnslimit.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>

#include "../util/strbuf.h"

struct dnslimit {
	pthread_mutex_t lock;
	unsigned per_domain;
	dnslimit_slot_t *head;
};

/* The last two labels of name, or name itself. */
static const char *last_two_labels(const char *name)
{
	const char *p = name + strlen(name), *dot = NULL;
	int dots = 0;

	while (p > name) {
		if (*--p == '.' && ++dots == 2) {
			dot = p;
			break;
		}
	}
	return dot ? dot + 1 : name;
}

void dnslimit_domain(const char *name, char *out, size_t outlen)
{
	char low[DNSLIMIT_DOMAIN_MAX];
	const char *p = name, *reg;
	const psl_ctx_t *psl = psl_builtin();
	size_t i;

	/* _dmarc.x, sel._domainkey.x, _spf.x: the domain is x's. */
	while (strchr(p, '.') != NULL && (*p == '_' ||
	    strncmp(strchr(p, '.'), "._", 2) == 0))
		p = strchr(p, '.') + 1;
	for (i = 0; p[i] != '\0' && i + 1 < sizeof(low); i++)
		low[i] = (char)tolower((unsigned char)p[i]);
	low[i] = '\0';
	if (i > 0 && low[i - 1] == '.')
		low[i - 1] = '\0';
	reg = psl ? psl_registrable_domain(psl, low) : last_two_labels(low);
	str_copy(out, outlen, reg ? reg : low);
}

dnslimit_t *dnslimit_new(unsigned per_domain)
{
	dnslimit_t *l = calloc(1, sizeof(*l));

	if (l == NULL)
		abort();
	pthread_mutex_init(&l->lock, NULL);
	l->per_domain = per_domain;
	return l;
}

void dnslimit_free(dnslimit_t *l)
{
	if (l == NULL)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l);
}

bool dnslimit_enter(dnslimit_t *l, const char *name, dnslimit_slot_t *slot)
{
	const dnslimit_slot_t *s;
	unsigned n = 0;

	memset(slot, 0, sizeof(*slot));
	dnslimit_domain(name, slot->domain, sizeof(slot->domain));
	if (l == NULL || l->per_domain == 0)
		return true;
	pthread_mutex_lock(&l->lock);
	for (s = l->head; s != NULL; s = s->next)
		if (strcmp(s->domain, slot->domain) == 0)
			n++;
	if (n >= l->per_domain) {
		pthread_mutex_unlock(&l->lock);
		return false;
	}
	slot->next = l->head;
	if (l->head)
		l->head->prev = slot;
	l->head = slot;
	pthread_mutex_unlock(&l->lock);
	return true;
}

void dnslimit_leave(dnslimit_t *l, dnslimit_slot_t *slot)
{
	if (l == NULL || l->per_domain == 0)
		return;
	pthread_mutex_lock(&l->lock);
	if (slot->prev)
		slot->prev->next = slot->next;
	else
		l->head = slot->next;
	if (slot->next)
		slot->next->prev = slot->prev;
	slot->prev = slot->next = NULL;
	pthread_mutex_unlock(&l->lock);
}
