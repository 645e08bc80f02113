/*
 * dkim_length - does content follow a DKIM signature's l=?  See
 * dkim_length.h.
 */
#include "dkim_length.h"

#include <stdlib.h>

void dkim_length_want(dkim_length_t *len, bool relaxed)
{
	int i = relaxed ? 1 : 0;

	if (len->bh[i] == NULL && !len->finished)
		len->bh[i] = arc_bodyhash_new(relaxed ? ARC_CANON_RELAXED :
		    ARC_CANON_SIMPLE);
}

void dkim_length_body(dkim_length_t *len, const unsigned char *p, size_t n)
{
	int i;

	for (i = 0; i < 2; i++)
		if (len->bh[i] != NULL && !len->finished)
			arc_bodyhash_update(len->bh[i], p, n);
}

void dkim_length_finish(dkim_length_t *len)
{
	unsigned char digest[ARC_DIGEST_LEN];
	int i;

	if (len->finished)
		return;
	for (i = 0; i < 2; i++) {
		if (len->bh[i] == NULL)
			continue;
		arc_bodyhash_final(len->bh[i], digest);
		len->total[i] = arc_bodyhash_length(len->bh[i]);
	}
	len->finished = true;
}

bool dkim_length_extra(const dkim_length_t *len, bool relaxed,
    unsigned long long l)
{
	int i = relaxed ? 1 : 0;

	return len->finished && len->bh[i] != NULL && len->total[i] > l;
}

void dkim_length_clear(dkim_length_t *len)
{
	int i;

	for (i = 0; i < 2; i++) {
		arc_bodyhash_free(len->bh[i]);
		len->bh[i] = NULL;
	}
}

void dkim_length_setup(dkim_length_t *len, DKIM *dkim, size_t max_sigs)
{
	DKIM_SIGINFO **sigs = NULL;
	dkim_canon_t hc, bc;
	int n = 0, i;

	if (dkim == NULL || dkim_getsiglist(dkim, &sigs, &n) != DKIM_STAT_OK)
		return;
	for (i = 0; i < n && (size_t)i < max_sigs; i++)
		if (dkim_sig_gettagvalue(sigs[i], 0, (u_char *)"l") != NULL &&
		    dkim_sig_getcanons(sigs[i], &hc, &bc) == DKIM_STAT_OK)
			dkim_length_want(len, bc == DKIM_CANON_RELAXED);
}

bool dkim_length_check(const dkim_length_t *len, DKIM *dkim,
    DKIM_SIGINFO *sig, long long *l)
{
	dkim_canon_t hc, bc;
	ssize_t msglen = 0, canonlen = 0, signlen = -1;

	if (dkim_sig_gettagvalue(sig, 0, (u_char *)"l") == NULL ||
	    dkim_sig_getcanons(sig, &hc, &bc) != DKIM_STAT_OK ||
	    dkim_sig_getcanonlen(dkim, sig, &msglen, &canonlen,
	    &signlen) != DKIM_STAT_OK || signlen < 0)
		return false;
	*l = (long long)signlen;
	return dkim_length_extra(len, bc == DKIM_CANON_RELAXED,
	    (unsigned long long)signlen);
}
