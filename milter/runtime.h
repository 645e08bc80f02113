/*
 * runtime - what a running dmarcwarden shares between milter threads.
 *
 * DESCRIPTION
 *	main() builds one runtime_t at start-up (configuration, resolver,
 *	SPF checker, DKIM and ARC engines, history writer, Public Suffix
 *	List, TrustedForwarders, the LocalPolicyFile slot) and publishes it
 *	in dw_runtime before libmilter starts its threads; afterwards it is
 *	only read, except that a SIGHUP swaps the policy inside the
 *	localpolicy slot (localpolicy.h, reload.h).  Every member is
 *	thread-safe.
 */
#ifndef MILTER_RUNTIME_H
#define MILTER_RUNTIME_H

#include <libpsl.h>

#include "../policy/evaluate.h"
#include "arc.h"
#include "config.h"
#include "dkim.h"
#include "dns.h"
#include "forwarder.h"
#include "history.h"
#include "localpolicy.h"
#include "spf.h"

typedef struct runtime {
	config_t *cfg;
	dns_resolver_t *dns;
	dns_ops_t dns_ops;
	spf_checker_t *spf;
	dkim_engine_t *dkim;
	arc_engine_t *arc;
	forwarders_t *forwarders;       /* TrustedForwarders (may be empty) */
	localpolicy_slot_t *localpolicy; /* LocalPolicyFile, reloadable */
	history_t *history;     /* NULL when HistoryDB is empty */
	psl_ctx_t *psl;         /* NULL unless PolicyDiscovery psl */
	eval_cfg_t eval;
} runtime_t;

extern runtime_t *dw_runtime;

#endif
