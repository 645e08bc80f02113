/*
 * stats - counters an operator can graph, written as a Prometheus
 * node_exporter textfile.
 *
 * SYNOPSIS
 *	stats_count_message(&verdict_or_NULL, action);
 *	stats_count_skip(STATS_SKIP_NETWORK);
 *	stats_count_reload(ok);         (a SIGHUP, reconfig.h)
 *	stats_writer_start(path, interval, resolver, history);
 *	stats_writer_stop();            (writes the file one last time)
 *	stats_format(&sb, resolver, history);
 *
 * DESCRIPTION
 *	Counters are process-wide atomics, so any milter thread may count
 *	without a lock.  The writer thread renders them every `interval`
 *	seconds to path.tmp and renames it over path, so a collector never
 *	reads half a file (node_exporter's textfile collector expects
 *	exactly this).  Metric names start with dmarcwarden_; DNS and
 *	history figures are read from their modules at render time.
 *	dmarcwarden_reloads_total{result="ok|failed"} counts SIGHUP reloads
 *	of dmarcwarden.conf (a failed one leaves the running configuration
 *	in force).
 *	`dmarcwarden -s` prints the file.
 */
#ifndef MILTER_STATS_H
#define MILTER_STATS_H

#include "../policy/evaluate.h"
#include "../util/strbuf.h"
#include "decide.h"
#include "../dns/dns.h"
#include "../history/history.h"

typedef enum stats_skip {
	STATS_SKIP_NETWORK = 0,
	STATS_SKIP_AUTHENTICATED,
	STATS_SKIP_SENDER,
	STATS_SKIP_RECIPIENT,
	STATS_SKIP_MAX,
} stats_skip_t;

/* v is NULL for messages DMARC could not evaluate (bad From). */
void stats_count_message(const verdict_t *v, milter_action_t action);
void stats_count_skip(stats_skip_t why);
void stats_count_reload(bool ok);
void stats_format(strbuf_t *sb, dns_resolver_t *dns, history_t *hist);
int stats_write_file(const char *path, dns_resolver_t *dns,
    history_t *hist);
int stats_writer_start(const char *path, unsigned interval,
    dns_resolver_t *dns, history_t *hist);
void stats_writer_stop(void);

#endif
