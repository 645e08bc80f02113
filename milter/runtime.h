/*
 * runtime - what a running dmarcwarden shares between milter threads.
 *
 * DESCRIPTION
 *	main() builds one runtime_t at start-up and publishes it in
 *	dw_runtime before libmilter starts its threads; afterwards its
 *	members are only read.  It holds two kinds of things:
 *
 *	The long-lived machinery, fixed for the life of the process: the
 *	resolver, SPF checker, DKIM and ARC engines, history writer (the
 *	socket, log and stats writer live in their modules).  The
 *	configuration keys these depend on need a restart
 *	(config_key_restart(), dmarcwarden.conf(5)).
 *
 *	The generations slot (generation.h): the current configuration and
 *	what is derived from it (TrustedForwarders, LocalPolicyFile, Public
 *	Suffix List, evaluation settings), which a SIGHUP replaces
 *	(reconfig.h, reload.h).  Code reads configuration only through a
 *	generation it holds a reference to: a message takes one in
 *	xxfi_envfrom (message_t.gen) and keeps it until it ends, so it is
 *	evaluated with one configuration from start to end; the connect
 *	callback takes the current one for the IgnoreNetworks check and
 *	lets go at once.  config_path is the -c file SIGHUP loads again.
 *
 *	Every member is thread-safe.
 */
#ifndef MILTER_RUNTIME_H
#define MILTER_RUNTIME_H

#include "arc.h"
#include "dkim.h"
#include "../dns/dns.h"
#include "generation.h"
#include "../history/hdb.h"
#include "../history/history.h"
#include "spf.h"

typedef struct runtime {
	const char *config_path;        /* -c FILE, loaded again on SIGHUP */
	generation_slot_t *generations; /* the current configuration */
	dns_resolver_t *dns;
	dns_ops_t dns_ops;
	spf_checker_t *spf;
	dkim_engine_t *dkim;
	arc_engine_t *arc;
	history_t *history;     /* NULL when HistoryDB is empty */
} runtime_t;

extern runtime_t *dw_runtime;

#endif
