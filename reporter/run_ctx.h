/*
 * run_ctx - the context of one reporter run, shared by run.c (the
 * periods, reports and sends) and run_end.c (expiry and the summary).
 * Private to those two files; everything else goes through run.h.
 */
#ifndef REPORTER_RUN_CTX_H
#define REPORTER_RUN_CTX_H

#include <stdbool.h>
#include <time.h>

#include "../dns/dns.h"
#include "dest.h"
#include "feedback_xml.h"
#include "../history/repdb.h"
#include "reportjob.h"
#include "run.h"
#include "sendpool.h"
#include "signer.h"
#include "transport.h"

#define PACE_SLOTS 4096

typedef struct pace {
	char *domain;
	unsigned sent;
} pace_t;

struct run_ctx {
	run_opts_t o;
	repdb_t *db[RUN_MAX_DBS];
	fxml_schemas_t *schemas;
	dns_resolver_t *dns;
	dns_ops_t ops;
	psl_ctx_t *psl;
	discovery_cfg_t disc;
	dest_verifier_t *verifier;
	signer_t *signer;
	transport_t tp;
	char sender[DEST_ADDR_MAX];
	char submitter[FROM_DOMAIN_MAX];
	char org_name[256];
	char tmpdir[4096];           /* the first database's directory */
	pace_t pace[PACE_SLOTS];
	run_stats_t st;
	struct timespec t0;
	rjob_env_t env;              /* env.begin, env.end: the period */
	bool earlier;                /* an earlier period (backlog.h) */
	bool busy;                   /* another run holds a database's lock */
	char busy_db[1024];          /* which one (run_busy) */
	rjob_pool_t *pool;
	sendpool_t *sends;
};

#endif
