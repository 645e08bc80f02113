/*
 * localpolicy - the LocalPolicyFile: per-domain exceptions and
 * enforcement stages, replaceable while the daemon runs.
 *
 * SYNOPSIS
 *	localpolicy_t *lp = localpolicy_load(path, err, sizeof(err));
 *	localpolicy_match_t m;
 *	localpolicy_lookup(lp, from_domain, rcpt_domains, nrcpt, &m);
 *	localpolicy_release(lp);
 *
 * DESCRIPTION
 *	The file holds one entry per line; '#' starts a comment line, blank
 *	lines are ignored.  An entry is
 *
 *	    from|rcpt DOMAIN SETTING [SETTING ...]
 *
 *	from: the entry is for mail whose header-From (author) domain is
 *	DOMAIN or a subdomain of it; rcpt: for mail to a recipient in
 *	DOMAIN or a subdomain.  SETTINGs:
 *	    never-reject       a DMARC failure is at most quarantined
 *	    always-reject      a DMARC failure is rejected, whatever the
 *	                       published policy (p=none, t=y, pct=), the
 *	                       exceptions (TrustedForwarders, ARC, lists)
 *	                       or the global Enforcement; only an
 *	                       enforcement= on the same entry still applies
 *	    monitor            same as enforcement=monitor
 *	    enforcement=STAGE  monitor, quarantine or reject (on and off are
 *	                       accepted as in dmarcwarden.conf)
 *	never-reject and always-reject exclude each other; every entry sets
 *	something.  The most specific entry (longest matching DOMAIN) of
 *	each kind applies.  A from entry decides every setting it sets; for
 *	the others the rcpt entries of the message's recipient domains
 *	apply, the most lenient one when they differ (never-reject before
 *	always-reject; monitor, then quarantine, then reject).  The milter
 *	does not let them differ: it refuses, with 452 4.7.1, a recipient
 *	whose rcpt settings (localpolicy_rcpt_settings(): action and stage
 *	of its most specific rcpt entry, or none) are not those of the
 *	message's first recipient, so one "rcpt DOMAIN monitor" recipient
 *	cannot carry a spoof to the others; the sender retries the refused
 *	recipients in another transaction.  localpolicy_has_rcpt() says
 *	whether there are rcpt entries at all (without them every
 *	recipient has the same settings, and the milter needs no reply to
 *	RCPT).
 *
 *	Bounds: the file is read with config_read_file() (at most
 *	CONFIG_FILE_MAX bytes, a regular file), lines at most
 *	CONFIG_LINE_MAX bytes, at most LOCALPOLICY_MAX_ENTRIES entries.
 *	Domains are normalised like configured domain lists (lower-case
 *	A-labels).  Lookups walk up the labels of the domain and binary
 *	search a sorted table: no scan of the file per message.
 *
 *	Ownership and threads.  A localpolicy_t is immutable once loaded and
 *	reference-counted: localpolicy_load() returns one reference,
 *	localpolicy_retain() adds one, localpolicy_release() drops one and
 *	frees it at zero (NULL ok).  Any number of threads may look up in
 *	it at once.  The daemon keeps the current one in its configuration
 *	generation (generation.h), which a SIGHUP replaces as a whole: the
 *	file is read again then, and when it has an error the reload is
 *	refused and the running policy stays (reconfig.h).
 *
 * DIAGNOSTICS
 *	localpolicy_load() and localpolicy_parse() return NULL with
 *	"file:line: message" in err ("unknown setting 'foo'", "duplicate
 *	entry for from example.com (first at line 3)", ...), or "file:
 *	message" when no line is to blame.  Every bad line is reported,
 *	one message per line of err, as config_load() does (config.h).
 */
#ifndef MILTER_LOCALPOLICY_H
#define MILTER_LOCALPOLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "../policy/from_header.h"
#include "../policy/override.h"

#define LOCALPOLICY_MAX_ENTRIES 100000

typedef struct localpolicy localpolicy_t;

typedef struct localpolicy_match {
	local_action_t action;          /* LOCAL_ACTION_NONE: not set */
	bool has_stage;
	enforce_stage_t stage;
	char action_where[OVERRIDE_WHAT_MAX]; /* "file:line from domain" */
	char stage_where[OVERRIDE_WHAT_MAX];  /* of the entries that set
	                                         them; "" when unset */
} localpolicy_match_t;

typedef struct localpolicy_rcpt {
	local_action_t action;          /* LOCAL_ACTION_NONE: not set */
	bool has_stage;
	enforce_stage_t stage;          /* when has_stage */
} localpolicy_rcpt_t;

localpolicy_t *localpolicy_load(const char *path, char *err, size_t errlen);
localpolicy_t *localpolicy_parse(const char *name, const char *text,
    size_t len, char *err, size_t errlen);
localpolicy_t *localpolicy_retain(localpolicy_t *lp);
void localpolicy_release(localpolicy_t *lp);
size_t localpolicy_count(const localpolicy_t *lp);
void localpolicy_lookup(const localpolicy_t *lp, const char *from_domain,
    const char (*rcpt)[FROM_DOMAIN_MAX], size_t nrcpt,
    localpolicy_match_t *out);
bool localpolicy_has_rcpt(const localpolicy_t *lp);
void localpolicy_rcpt_settings(const localpolicy_t *lp,
    const char *rcpt_domain, localpolicy_rcpt_t *out);
bool localpolicy_rcpt_same(const localpolicy_rcpt_t *a,
    const localpolicy_rcpt_t *b);

#endif
