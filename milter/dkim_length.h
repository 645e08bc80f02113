/*
 * dkim_length - does content follow the part of the body a DKIM
 * signature's l= covers?
 *
 * SYNOPSIS
 *	dkim_length_t len = {0};
 *	dkim_length_want(&len, relaxed);       at eoh, per l= signature
 *	dkim_length_body(&len, chunk, n);      for each body chunk
 *	dkim_length_finish(&len);              at eom
 *	dkim_length_extra(&len, relaxed, l)    true: unsigned content
 *	dkim_length_clear(&len);
 *
 * DESCRIPTION
 *	l= counts bytes of the canonicalized body (RFC 6376 3.5), which
 *	libopendkim does not report in full: it stops counting at l=.  This
 *	measures the whole canonical body with the project's body hasher
 *	(arc_canon.h), once per body canonicalization asked for (simple,
 *	relaxed: at most two), only for messages that have a signature
 *	with l=.  dkim_length_extra() is true when the canonical body is
 *	longer than l (an appended part nobody signed), false when it is
 *	not or when that canonicalization was not measured.
 *
 *	With libopendkim: dkim_length_setup() at eoh asks for the
 *	canonicalizations of the (first max_sigs) signatures with l=;
 *	dkim_length_check() after dkim_length_finish() tells whether sig
 *	has l= and content after it, with *l set to its l= value.
 *
 *	The struct belongs to the caller (zero-initialized); clear frees the
 *	hashers and may be called more than once.
 */
#ifndef MILTER_DKIM_LENGTH_H
#define MILTER_DKIM_LENGTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <dkim.h>

#include "arc_canon.h"

typedef struct dkim_length {
	arc_bodyhash_t *bh[2];          /* [0] simple, [1] relaxed */
	unsigned long long total[2];
	bool finished;
} dkim_length_t;

void dkim_length_want(dkim_length_t *len, bool relaxed);
void dkim_length_body(dkim_length_t *len, const unsigned char *p, size_t n);
void dkim_length_finish(dkim_length_t *len);
bool dkim_length_extra(const dkim_length_t *len, bool relaxed,
    unsigned long long l);
void dkim_length_clear(dkim_length_t *len);

void dkim_length_setup(dkim_length_t *len, DKIM *dkim, size_t max_sigs);
bool dkim_length_check(const dkim_length_t *len, DKIM *dkim,
    DKIM_SIGINFO *sig, long long *l);

#endif
