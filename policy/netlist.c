/*
 * netlist - lists of IPv4/IPv6 networks in CIDR notation.  See netlist.h.
 *
 *	Entries are kept as (family, 16 address bytes, prefix length); IPv4
 *	uses the first 4 bytes.  Matching is a linear scan: the lists are
 *	short (ignore lists in a config file) and parsing bounds them.
 */
#include "netlist.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/strbuf.h"

typedef struct netlist_entry {
	int family;                 /* AF_INET or AF_INET6 */
	unsigned prefix;            /* 0..32 or 0..128 */
	unsigned char addr[16];
} netlist_entry_t;

struct netlist {
	size_t count;
	netlist_entry_t entry[];    /* count entries */
};

static const unsigned char v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static bool is_separator(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parse text as an address: IPv4 dotted quad or IPv6.  A v4-mapped IPv6
 * address becomes IPv4 when unmap is set. */
static int addr_parse(const char *text, bool unmap, int *family,
    unsigned char addr[16])
{
	memset(addr, 0, 16);
	if (strchr(text, ':') == NULL) {
		if (inet_pton(AF_INET, text, addr) != 1)
			return -1;
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, addr) != 1)
		return -1;
	*family = AF_INET6;
	if (unmap && memcmp(addr, v4mapped_prefix, 12) == 0) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		*family = AF_INET;
	}
	return 0;
}

/* True when the first `prefix` bits of a and b are equal. */
static bool prefix_equal(const unsigned char *a, const unsigned char *b,
    unsigned prefix)
{
	unsigned whole = prefix / 8, rest = prefix % 8;
	unsigned char mask;

	if (whole && memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - rest));
	return ((a[whole] ^ b[whole]) & mask) == 0;
}

/* True when any bit after `prefix` is set in addr[0..nbytes). */
static bool host_bits_set(const unsigned char *addr, unsigned prefix,
    unsigned nbytes)
{
	unsigned i;

	for (i = prefix; i < nbytes * 8; i++)
		if (addr[i / 8] & (0x80 >> (i % 8)))
			return true;
	return false;
}

/* Parse "1..3 digits" into *out; -1 on anything else. */
static int prefix_parse(const char *text, unsigned *out)
{
	size_t i, n = strlen(text);
	unsigned v = 0;

	if (n == 0 || n > 3)
		return -1;
	for (i = 0; i < n; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(text[i] - '0');
	}
	*out = v;
	return 0;
}

static int entry_parse(const char *tok, netlist_entry_t *e, char *err,
    size_t errlen)
{
	char buf[NETLIST_ENTRY_MAX + 1], shown[NETLIST_ENTRY_MAX + 1];
	char *slash;
	unsigned max;

	str_printable(shown, sizeof(shown), tok, strlen(tok));
	if (str_copy(buf, sizeof(buf), tok) < 0) {
		str_format(err, errlen, "network entry too long: '%s...'", shown);
		return -1;
	}
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (addr_parse(buf, false, &e->family, e->addr) < 0) {
		str_format(err, errlen, "bad network address '%s'", shown);
		return -1;
	}
	max = e->family == AF_INET ? 32 : 128;
	e->prefix = max;
	if (slash && (prefix_parse(slash, &e->prefix) < 0 || e->prefix > max)) {
		str_format(err, errlen, "bad prefix length in '%s' (0..%u)",
		    shown, max);
		return -1;
	}
	if (host_bits_set(e->addr, e->prefix, max / 8)) {
		str_format(err, errlen, "host bits set beyond the prefix in '%s'",
		    shown);
		return -1;
	}
	/* ::ffff:a.b.c.d/96+ denotes an IPv4 network: store it as one. */
	if (e->family == AF_INET6 && e->prefix >= 96 &&
	    memcmp(e->addr, v4mapped_prefix, 12) == 0) {
		memmove(e->addr, e->addr + 12, 4);
		memset(e->addr + 4, 0, 12);
		e->family = AF_INET;
		e->prefix -= 96;
	}
	return 0;
}

/* Count entries; -1 when more than NETLIST_MAX. */
static long count_entries(const char *text)
{
	long n = 0;
	const char *p = text;

	while (*p) {
		while (*p && is_separator(*p))
			p++;
		if (*p == '\0')
			break;
		if (++n > NETLIST_MAX)
			return -1;
		while (*p && !is_separator(*p))
			p++;
	}
	return n;
}

netlist_t *netlist_parse(const char *text, char *err, size_t errlen)
{
	char tok[NETLIST_ENTRY_MAX + 2];
	const char *p = text ? text : "", *start;
	long n = count_entries(p);
	netlist_t *nl;
	size_t len;

	if (n < 0) {
		str_format(err, errlen, "too many networks (more than %d)",
		    NETLIST_MAX);
		return NULL;
	}
	nl = calloc(1, sizeof(*nl) + (size_t)n * sizeof(nl->entry[0]));
	if (nl == NULL)
		abort();
	while (*p) {
		while (*p && is_separator(*p))
			p++;
		if (*p == '\0')
			break;
		for (start = p; *p && !is_separator(*p); p++)
			;
		len = (size_t)(p - start);
		/* Copy one byte more than an entry may hold so entry_parse
		 * sees (and reports) an over-long entry. */
		str_ncopy(tok, sizeof(tok), start, len);
		if (entry_parse(tok, &nl->entry[nl->count], err, errlen) < 0) {
			free(nl);
			return NULL;
		}
		nl->count++;
	}
	return nl;
}

bool netlist_match(const netlist_t *nl, const char *addr)
{
	unsigned char a[16];
	int family;
	size_t i;

	if (nl == NULL || addr == NULL)
		return false;
	if (strncasecmp(addr, "IPv6:", 5) == 0)
		addr += 5;
	if (addr_parse(addr, true, &family, a) < 0)
		return false;
	for (i = 0; i < nl->count; i++) {
		const netlist_entry_t *e = &nl->entry[i];

		if (e->family == family && prefix_equal(a, e->addr, e->prefix))
			return true;
	}
	return false;
}

size_t netlist_count(const netlist_t *nl)
{
	return nl ? nl->count : 0;
}

void netlist_free(netlist_t *nl)
{
	free(nl);
}

int netlist_format(const netlist_t *nl, strbuf_t *sb)
{
	char text[INET6_ADDRSTRLEN];
	size_t i;

	for (i = 0; nl && i < nl->count; i++) {
		const netlist_entry_t *e = &nl->entry[i];

		if (inet_ntop(e->family, e->addr, text, sizeof(text)) == NULL)
			return -1;
		strbuf_appendf(sb, "%s%s/%u", i ? ", " : "", text, e->prefix);
	}
	return sb->truncated ? -1 : 0;
}
