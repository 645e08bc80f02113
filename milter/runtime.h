/*
 * runtime - what a running dmarcwarden shares between milter threads.
 *
 * DESCRIPTION
 *	main() builds one runtime_t at start-up (configuration, resolver,
 *	SPF checker, DKIM engine, history writer, Public Suffix List) and
 *	publishes it in dw_runtime before libmilter starts its threads;
 *	afterwards it is only read.  Every member is thread-safe.
 */
#ifndef MILTER_RUNTIME_H
#define MILTER_RUNTIME_H

#include <libpsl.h>

#include "../policy/evaluate.h"
#include "config.h"
#include "dkim.h"
#include "dns.h"
#include "history.h"
#include "spf.h"

typedef struct runtime {
	config_t *cfg;
	dns_resolver_t *dns;
	dns_ops_t dns_ops;
	spf_checker_t *spf;
	dkim_engine_t *dkim;
	history_t *history;     /* NULL when HistoryDB is empty */
	psl_ctx_t *psl;         /* NULL unless PolicyDiscovery psl */
	eval_cfg_t eval;
} runtime_t;

extern runtime_t *dw_runtime;

#endif
