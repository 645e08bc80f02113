/*
 * arc_impl - internals shared by arc.c (collection, chain structure,
 * results) and arc_sig.c (signature checks).  Not an API: nothing
 * outside milter/arc*.c includes this.
 *
 * DESCRIPTION
 *	Every header field of the message is kept, because an
 *	ARC-Message-Signature may sign any of them: names and values are
 *	appended to one bounded store (ARC_STORE_MAX bytes, at most
 *	ARC_HDR_MAX fields) and indexed by offsets, so there is no
 *	allocation per field.  At end of header a hash table of lower-cased
 *	names gives, for each name, its bottom-most field, and each field
 *	links to the previous one of the same name (prev_same): selecting
 *	fields for h= bottom-up is then O(1) per entry, whatever the number
 *	of fields.  Past either limit the store stops growing and a chain,
 *	if there is one, fails (the reason names the limit).
 */
#ifndef MILTER_ARC_IMPL_H
#define MILTER_ARC_IMPL_H

#include <stdint.h>
#include <time.h>

#include "arc.h"
#include "arc_canon.h"
#include "arc_crypto.h"

#define ARC_STORE_MAX (1024 * 1024)     /* bytes of header names+values */
#define ARC_HDR_MAX 4096                /* header fields */
#define ARC_FIELD_MAX 16384             /* one ARC header field value */
#define ARC_FIELDS_MAX (3 * ARC_MAX_INSTANCES)
#define ARC_KEYCACHE 8
#define ARC_KEYNAME_MAX 320
#define ARC_CLOCK_SLOP 36000            /* t= this far ahead is refused */

enum { ARC_AAR = 0, ARC_AMS = 1, ARC_AS = 2 };

typedef struct arc_hdr {
	size_t name_off, name_len;      /* name as given */
	size_t match_len;               /* without trailing WSP */
	size_t val_off, val_len;
	uint32_t hash;                  /* of the lower-cased name */
	int prev_same;                  /* previous field, same name */
} arc_hdr_t;

typedef struct arc_keyslot {
	char name[ARC_KEYNAME_MAX];
	int status;                     /* arc_sig_status_t */
	arc_key_t key;
	char why[ARC_REASON_MAX];
} arc_keyslot_t;

typedef enum arc_sig_status {
	ARC_SIG_PASS = 0,
	ARC_SIG_FAIL,
	ARC_SIG_TEMPFAIL,
} arc_sig_status_t;

struct arc_engine {
	dns_ops_t ops;
};

struct arc_verify {
	const arc_engine_t *e;
	time_t now;                     /* 0: time(NULL) at eom */
	strbuf_t store;
	arc_hdr_t *hdr;
	size_t nhdr, hcap;
	bool overflow;
	char overflow_why[80];          /* which limit */
	size_t max_fields, max_bytes;   /* store limits (arc_verify_limits) */
	size_t narc;                    /* ARC fields seen */
	int slot[ARC_MAX_INSTANCES + 1][3];     /* field index, -1 */
	unsigned maxi;
	char broken[ARC_REASON_MAX];    /* first structural problem */
	/* name index, built at eoh */
	int *table;                     /* bottom-most field per name */
	unsigned *cursor_gen;
	int *cursor;
	size_t tsize;
	unsigned gen;
	/* body */
	bool eoh, eom;
	arc_bodyhash_t *bh[2];          /* by arc_canon_t, when needed */
	unsigned char bodyhash[2][ARC_DIGEST_LEN];
	strbuf_t canon;                 /* reused canonicalization buffer */
	arc_keyslot_t keys[ARC_KEYCACHE];
	size_t nkeys;
	arc_result_t *res;
};

/* arc.c: the name index. */
uint32_t arc_name_hash(const char *p, size_t n);
/* Bottom-most unused field called name (h= semantics); -1 when none
 * is left.  arc_select_reset() starts a new h= list. */
int arc_select(arc_verify_t *v, const char *name, size_t n);
void arc_select_reset(arc_verify_t *v);
const char *arc_hname(const arc_verify_t *v, int i);
const char *arc_hval(const arc_verify_t *v, int i);

/* arc_sig.c */
arc_sig_status_t arc_check_ams(arc_verify_t *v, unsigned i, char *why,
    size_t whylen);
/* Seal digests for instances 1..maxi into digest[1..maxi]; -1 when a
 * seal cannot be canonicalized. */
int arc_seal_digests(arc_verify_t *v,
    unsigned char digest[][ARC_DIGEST_LEN], char *why, size_t whylen);
arc_sig_status_t arc_check_as(arc_verify_t *v, unsigned i,
    const unsigned char digest[ARC_DIGEST_LEN], char *why, size_t whylen);
/* c= of the AMS of instance i (default simple/simple); -1 if bad. */
int arc_ams_body_canon(const arc_verify_t *v, unsigned i, arc_canon_t *body);
void arc_keys_free(arc_verify_t *v);

#endif
