/*
 * mlist - mailing-list traffic (RFC 2919 List-Id, RFC 2369 List-Post)
 * and the rule that decides whether it is authenticated enough for the
 * mailing-list exception.
 *
 * SYNOPSIS
 *	mlist_headers_t h; memset(&h, 0, sizeof(h));
 *	mlist_header(&h, "List-Id", value);     for every header
 *	char what[MLIST_WHAT_MAX];
 *	if (mlist_authenticated(&h, &eval_input, &verdict, &discovery, &dns,
 *	    what, sizeof(what))) ... list mail
 *
 * DESCRIPTION
 *	mlist_header() looks at List-Id and List-Post fields (others are
 *	ignored) and records, bounded, what they say: the list-id inside
 *	"<...>" of a List-Id ([phrase] "<" list-id ">", the phrase may hold
 *	quoted-strings and comments; the list-id is a dot-atom, lower-cased,
 *	at most MLIST_ID_MAX - 1 bytes), and the domain of the first mailto:
 *	URI of a List-Post.  Values that do not parse are counted as seen
 *	but give nothing.
 *
 *	THE RULE.  A forged List-Id costs a spammer one header line, so
 *	list headers alone prove nothing.  A message is authenticated list
 *	traffic only when all of this holds:
 *	 1. it has exactly one List-Id field and its list-id parses (L is
 *	    the list-id); or it has no List-Id, exactly one List-Post field,
 *	    and that names a mailto: address (L is its domain);
 *	 2. some domain D authenticated the message on behalf of the list:
 *	    the SPF result for the envelope sender (MAIL FROM scope, not
 *	    HELO) is pass and D is the MAIL FROM domain (the list's bounce
 *	    domain), or a DKIM signature verified (pass) and D is its d=;
 *	 3. L is D's organizational domain or lies below it (L "dev.lists.
 *	    example.org" with D "lists.example.org" or "example.org", both of
 *	    organizational domain example.org); the organizational domain is
 *	    found as for DMARC relaxed alignment (tree walk or PSL), and one
 *	    that is a single label (a TLD) never matches.  A DNS failure
 *	    finding it means "no".
 *	 4. the list passed on an originally valid message of the author:
 *	    the message carries a DKIM signature whose d= is aligned with
 *	    the author (From) domain (the domain's adkim mode, relaxed when
 *	    it has no record) and which fails only because the body hash
 *	    does not match: the signature over the header fields (From
 *	    among them) verified with the author domain's key, so those
 *	    fields are the author's, and the list changed the body (a
 *	    footer).  dkim_input_t.body_hash_only.
 *	So a message from an IP that fails SPF, carrying no valid DKIM
 *	signature, is never list traffic, whatever List-Id it carries; nor
 *	is a message from a sender who authenticates a domain it owns and
 *	names a list under it (rules 1-3), unless the author's domain signed
 *	its header fields.  Rule 4 rejects lists that change a signed header
 *	field (a Subject tag) or strip the signature: their mail needs
 *	ArcTrustedSealers or TrustedForwarders.  An ARC chain sealed by the
 *	list is not taken as evidence: the list's domain D is the party this
 *	rule cannot trust, and it can write any ARC-Authentication-Results.
 *	What the rule cannot stop: a sender with a domain of its own who
 *	replays a genuine signed message of the author (its From, Subject,
 *	Date as signed) with another body.  That sender is identified (D is
 *	recorded), and the default MailingListAction (quarantine) still
 *	holds its mail rather than delivering it.
 *
 *	mlist_authenticated() writes "L via spf D" or "L via dkim D" to
 *	what.  It does DNS only through dns (the organizational domain of
 *	each candidate D, at most MLIST_MAX_CANDIDATES of them, and of a
 *	signature domain below the author's organizational domain).
 */
#ifndef MLIST_H
#define MLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "discovery.h"
#include "evaluate.h"

#define MLIST_ID_MAX 256
#define MLIST_WHAT_MAX 96
#define MLIST_MAX_CANDIDATES 8
#define MLIST_FIELD_MAX 4096     /* bytes of a field value looked at */

typedef struct mlist_headers {
	unsigned n_list_id;              /* List-Id fields seen */
	unsigned n_list_post;            /* List-Post fields seen */
	char list_id[MLIST_ID_MAX];      /* of the first List-Id; "" if bad */
	char post_domain[FROM_DOMAIN_MAX]; /* of the first List-Post */
} mlist_headers_t;

void mlist_header(mlist_headers_t *h, const char *name, const char *value);
/* True when the message has list headers at all (authenticated or not). */
bool mlist_present(const mlist_headers_t *h);
bool mlist_authenticated(const mlist_headers_t *h, const eval_input_t *in,
    const verdict_t *v, const discovery_cfg_t *cfg, const dns_ops_t *dns,
    char *what, size_t whatlen);

/* Parsers, exposed for tests: 0, or -1 when the value does not parse. */
int mlist_parse_list_id(const char *value, size_t len, char *out,
    size_t outlen);
int mlist_parse_list_post(const char *value, size_t len, char *domain,
    size_t domainlen);

#endif
