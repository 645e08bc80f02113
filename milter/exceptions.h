/*
 * exceptions - gather the facts the override core (policy/override.h)
 * decides on: LocalPolicyFile entry and enforcement stage, trusted ARC
 * sealer, trusted forwarder, authenticated mailing list.
 *
 * SYNOPSIS
 *	override_ctx_t ctx;
 *	exceptions_gather(rt, conn, msg, &eval_input, arc, &verdict, &ctx);
 *	override_apply(&ctx, &verdict);
 *
 * DESCRIPTION
 *	The stage and the local policy entry are looked up for every
 *	message (no I/O: the LocalPolicyFile, Enforcement and every other
 *	setting come from the message's generation, m->gen, so a message
 *	sees one configuration even across a SIGHUP).  The other
 *	facts cost DNS (PTR and forward lookups for TrustedForwarders host
 *	names, organizational domains for the list rule and relaxed
 *	alignment of what an ARC sealer recorded) and are gathered only
 *	for a DMARC failure, and only when the corresponding key is set:
 *	ArcTrustedSealers (policy/sealer.h, from the ARC verifier's result,
 *	arc may be NULL), TrustedForwarders (forwarder.h), list headers
 *	(policy/mlist.h, MailingListAction other than policy).
 *
 *	ctx is filled completely (zeroed first); nothing is kept.
 *
 *	exceptions_stage() is the enforcement stage of a message that DMARC
 *	could not evaluate (from_domain "" when it has no single author
 *	domain): the LocalPolicyFile stage for from_domain and the
 *	message's recipient domains, else the global Enforcement.  The
 *	stage of an evaluated message is ctx.stage.
 */
#ifndef MILTER_EXCEPTIONS_H
#define MILTER_EXCEPTIONS_H

#include "../policy/override.h"
#include "arc.h"
#include "message.h"

void exceptions_gather(const runtime_t *rt, const connection_t *c,
    const message_t *m, const eval_input_t *in, const arc_result_t *arc,
    const verdict_t *v, override_ctx_t *ctx);
enforce_stage_t exceptions_stage(const message_t *m, const char *from_domain);

#endif
