/*
 * generation - one loaded dmarcwarden.conf and everything built from it
 * that a SIGHUP may replace, shared by reference between messages.
 *
 * SYNOPSIS
 *	generation_t *g = generation_build(cfg, prev, err, sizeof(err));
 *	generation_slot_t *slot = generation_slot_new(g);
 *
 *	g = generation_current(slot);      a message starts
 *	... g->cfg->enforcement, g->localpolicy, &g->eval ...
 *	generation_release(g);             the message ends
 *
 *	generation_publish(slot, newer);   SIGHUP (reconfig.h)
 *	generation_slot_free(slot);        shutdown
 *
 * DESCRIPTION
 *	A generation holds the configuration (config_t) and what is derived
 *	from it and may change while the daemon runs: the TrustedForwarders
 *	list, the LocalPolicyFile entries, the Public Suffix List and the
 *	evaluation settings (PolicyDiscovery).  The long-lived machinery
 *	(socket, resolver, SPF, DKIM and ARC engines, history and stats
 *	writers, log) is in runtime_t (runtime.h) and does not change.
 *
 *	generation_build() takes over cfg in every case (on failure it is
 *	freed) and returns a generation with one reference, or NULL with
 *	"LocalPolicyFile: file:line: ..." (or TrustedForwarders,
 *	PublicSuffixList) in err.  It reads the LocalPolicyFile every time
 *	(a SIGHUP is how an edited file takes effect), and the
 *	PublicSuffixList only when prev (the running generation, or NULL)
 *	does not have that same file loaded already: otherwise the two share
 *	the list, so a chrooted daemon need not reach it again.  It takes no
 *	lock: call it outside any lock.  serial is 0 until the generation is
 *	published.
 *
 *	A generation is immutable once built.  generation_retain() adds a
 *	reference, generation_release() drops one and frees everything the
 *	generation holds with the last (NULL ok).  Nothing of it may be
 *	used after the release of the reference it was reached through.
 *
 *	The slot holds the current generation behind a mutex that guards
 *	only a pointer and a counter: generation_current() returns the
 *	current one with a reference for the caller; generation_publish()
 *	takes over the caller's reference to g, numbers it (serial: 1 for
 *	the first, then 2, 3, ...), makes it current and drops the slot's
 *	reference to the previous one, which lives on until the messages
 *	still using it release it.  generation_slot_free() drops the slot's
 *	reference (NULL ok); references taken from it stay valid.
 *
 * DIAGNOSTICS
 *	Allocation failures abort, as elsewhere in the daemon.
 */
#ifndef MILTER_GENERATION_H
#define MILTER_GENERATION_H

#include <libpsl.h>
#include <stdatomic.h>
#include <stddef.h>

#include "../policy/evaluate.h"
#include "../conf/config.h"
#include "../conf/forwarder.h"
#include "localpolicy.h"

typedef struct generation {
	unsigned long serial;           /* set by generation_publish() */
	config_t *cfg;
	forwarders_t *forwarders;       /* TrustedForwarders (may be empty) */
	localpolicy_t *localpolicy;     /* LocalPolicyFile; NULL: none */
	psl_ctx_t *psl;                 /* NULL unless PolicyDiscovery psl */
	eval_cfg_t eval;
	atomic_uint refs;               /* private */
	struct generation_psl *shared_psl;      /* private */
} generation_t;

typedef struct generation_slot generation_slot_t;

generation_t *generation_build(config_t *cfg, const generation_t *prev,
    char *err, size_t errlen);
generation_t *generation_retain(generation_t *g);
void generation_release(generation_t *g);

generation_slot_t *generation_slot_new(generation_t *g);
generation_t *generation_current(generation_slot_t *s);
void generation_publish(generation_slot_t *s, generation_t *g);
void generation_slot_free(generation_slot_t *s);

#endif
