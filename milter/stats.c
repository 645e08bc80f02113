/*
 * stats - operator counters as a Prometheus textfile.  See stats.h.
 */
#include "stats.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/log.h"

#define NRESULTS (DMARC_RESULT_PERMERROR + 1)
#define NPOLICIES (DMARC_POLICY_REJECT + 1)
#define NACTIONS (ACTION_TEMPFAIL + 1)

static atomic_ulong stats_messages;
static atomic_ulong stats_not_evaluated;
static atomic_ulong stats_results[NRESULTS];
static atomic_ulong stats_applied[NPOLICIES];
static atomic_ulong stats_actions[NACTIONS];
static atomic_ulong stats_skips[STATS_SKIP_MAX];
static atomic_ulong stats_reloads[2];     /* failed, ok */

static const char *const skip_names[STATS_SKIP_MAX] = {
	"network", "authenticated", "sender_domain", "recipient_domain",
};

void stats_count_message(const verdict_t *v, milter_action_t action)
{
	atomic_fetch_add(&stats_messages, 1);
	if ((unsigned)action < NACTIONS)
		atomic_fetch_add(&stats_actions[action], 1);
	if (v == NULL) {
		atomic_fetch_add(&stats_not_evaluated, 1);
		return;
	}
	if ((unsigned)v->result < NRESULTS)
		atomic_fetch_add(&stats_results[v->result], 1);
	if ((unsigned)v->applied < NPOLICIES)
		atomic_fetch_add(&stats_applied[v->applied], 1);
}

void stats_count_skip(stats_skip_t why)
{
	if ((unsigned)why < STATS_SKIP_MAX)
		atomic_fetch_add(&stats_skips[why], 1);
}

void stats_count_reload(bool ok)
{
	atomic_fetch_add(&stats_reloads[ok ? 1 : 0], 1);
}

static void metric(strbuf_t *sb, const char *name, const char *type,
    const char *help)
{
	strbuf_appendf(sb, "# HELP dmarcwarden_%s %s\n", name, help);
	strbuf_appendf(sb, "# TYPE dmarcwarden_%s %s\n", name, type);
}

static void stats_format_messages(strbuf_t *sb)
{
	unsigned i;

	metric(sb, "messages_total", "counter",
	    "Messages that reached end of message.");
	strbuf_appendf(sb, "dmarcwarden_messages_total %lu\n",
	    atomic_load(&stats_messages));
	metric(sb, "not_evaluated_total", "counter",
	    "Messages DMARC could not evaluate (no or bad From).");
	strbuf_appendf(sb, "dmarcwarden_not_evaluated_total %lu\n",
	    atomic_load(&stats_not_evaluated));
	metric(sb, "dmarc_results_total", "counter", "DMARC results.");
	for (i = 0; i < NRESULTS; i++)
		strbuf_appendf(sb, "dmarcwarden_dmarc_results_total"
		    "{result=\"%s\"} %lu\n", dmarc_result_name(i),
		    atomic_load(&stats_results[i]));
	metric(sb, "dispositions_total", "counter",
	    "Dispositions applied to evaluated messages.");
	for (i = DMARC_POLICY_NONE; i < NPOLICIES; i++)
		strbuf_appendf(sb, "dmarcwarden_dispositions_total"
		    "{applied=\"%s\"} %lu\n", dmarc_policy_name(i),
		    atomic_load(&stats_applied[i]));
	metric(sb, "actions_total", "counter", "Replies to the MTA.");
	for (i = 0; i < NACTIONS; i++)
		strbuf_appendf(sb, "dmarcwarden_actions_total"
		    "{action=\"%s\"} %lu\n", milter_action_name(i),
		    atomic_load(&stats_actions[i]));
	metric(sb, "skipped_total", "counter",
	    "Messages or connections not evaluated by configuration.");
	for (i = 0; i < STATS_SKIP_MAX; i++)
		strbuf_appendf(sb, "dmarcwarden_skipped_total{reason=\"%s\"} "
		    "%lu\n", skip_names[i], atomic_load(&stats_skips[i]));
}

static void stats_format_reloads(strbuf_t *sb)
{
	metric(sb, "reloads_total", "counter",
	    "SIGHUP reloads of the configuration.");
	strbuf_appendf(sb, "dmarcwarden_reloads_total{result=\"ok\"} %lu\n",
	    atomic_load(&stats_reloads[1]));
	strbuf_appendf(sb, "dmarcwarden_reloads_total{result=\"failed\"} "
	    "%lu\n", atomic_load(&stats_reloads[0]));
}

static void stats_format_dns(strbuf_t *sb, dns_resolver_t *dns)
{
	dns_stats_t ds;

	if (dns == NULL)
		return;
	dns_resolver_stats(dns, &ds);
	metric(sb, "dns_queries_total", "counter", "DNS queries.");
	strbuf_appendf(sb, "dmarcwarden_dns_queries_total %lu\n", ds.queries);
	metric(sb, "dns_errors_total", "counter",
	    "DNS queries that failed temporarily.");
	strbuf_appendf(sb, "dmarcwarden_dns_errors_total{kind=\"timeout\"} "
	    "%lu\n", ds.timeouts);
	strbuf_appendf(sb, "dmarcwarden_dns_errors_total{kind=\"servfail\"} "
	    "%lu\n", ds.servfail);
	strbuf_appendf(sb, "dmarcwarden_dns_errors_total{kind=\"bogus\"} "
	    "%lu\n", ds.bogus);
	metric(sb, "dns_late_cancels_total", "counter", "DNS attempts "
	    "cancelled after libunbound's own timer (CPU starvation).");
	strbuf_appendf(sb, "dmarcwarden_dns_late_cancels_total %lu\n",
	    ds.late_cancels);
}

static void stats_format_history(strbuf_t *sb, history_t *hist)
{
	history_stats_t hs;

	if (hist == NULL)
		return;
	history_stats(hist, &hs);
	metric(sb, "history_rows_written_total", "counter",
	    "History rows written to the database.");
	strbuf_appendf(sb, "dmarcwarden_history_rows_written_total %llu\n",
	    (unsigned long long)hs.written);
	metric(sb, "history_rows_buffered", "gauge",
	    "History rows waiting in memory for the database.");
	strbuf_appendf(sb, "dmarcwarden_history_rows_buffered %llu\n",
	    (unsigned long long)hs.buffered);
	metric(sb, "history_rows_dropped_total", "counter",
	    "History rows lost (buffer or spool full, refused rows).");
	strbuf_appendf(sb, "dmarcwarden_history_rows_dropped_total %llu\n",
	    (unsigned long long)hs.dropped);
	metric(sb, "history_rows_spooled_total", "counter",
	    "History rows written to the spool while PostgreSQL was "
	    "unreachable.");
	strbuf_appendf(sb, "dmarcwarden_history_rows_spooled_total %llu\n",
	    (unsigned long long)hs.spooled);
	metric(sb, "history_rows_replayed_total", "counter",
	    "Spooled history rows written to PostgreSQL by this daemon.");
	strbuf_appendf(sb, "dmarcwarden_history_rows_replayed_total %llu\n",
	    (unsigned long long)hs.replayed);
	metric(sb, "history_errors_total", "counter",
	    "Failed attempts to write the history database.");
	strbuf_appendf(sb, "dmarcwarden_history_errors_total %llu\n",
	    (unsigned long long)hs.errors);
}

void stats_format(strbuf_t *sb, dns_resolver_t *dns, history_t *hist)
{
	stats_format_messages(sb);
	stats_format_reloads(sb);
	stats_format_dns(sb, dns);
	stats_format_history(sb, hist);
}

int stats_write_file(const char *path, dns_resolver_t *dns,
    history_t *hist)
{
	char tmp[4096];
	strbuf_t sb;
	FILE *fp;
	int rc = -1;

	if (str_format(tmp, sizeof(tmp), "%s.tmp", path) < 0)
		return -1;
	strbuf_init(&sb, 1024 * 1024);
	stats_format(&sb, dns, hist);
	fp = fopen(tmp, "w");
	if (fp != NULL) {
		fwrite(strbuf_str(&sb), 1, sb.len, fp);
		if (fclose(fp) == 0 && rename(tmp, path) == 0)
			rc = 0;
	}
	if (rc < 0)
		unlink(tmp);
	strbuf_free(&sb);
	return rc;
}

static struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool running, stop;
	char *path;
	unsigned interval;
	dns_resolver_t *dns;
	history_t *hist;
	time_t last_error;
} writer = { .lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER };

static void stats_write_logged(void)
{
	if (stats_write_file(writer.path, writer.dns, writer.hist) < 0)
		log_ratelimited(&writer.last_error, 300, LOG_WARNING,
		    "cannot write StatsFile %s", writer.path);
}

static void *stats_writer_main(void *arg)
{
	struct timespec until;

	(void)arg;
	pthread_mutex_lock(&writer.lock);
	while (!writer.stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += writer.interval;
		pthread_cond_timedwait(&writer.cond, &writer.lock, &until);
		pthread_mutex_unlock(&writer.lock);
		stats_write_logged();
		pthread_mutex_lock(&writer.lock);
	}
	pthread_mutex_unlock(&writer.lock);
	return NULL;
}

int stats_writer_start(const char *path, unsigned interval,
    dns_resolver_t *dns, history_t *hist)
{
	if (path == NULL || *path == '\0' || writer.running)
		return 0;
	/* A copy: the configuration it came from goes with a reload. */
	if ((writer.path = strdup(path)) == NULL)
		return -1;
	writer.interval = interval ? interval : 60;
	writer.dns = dns;
	writer.hist = hist;
	writer.stop = false;
	if (pthread_create(&writer.thread, NULL, stats_writer_main, NULL) != 0) {
		free(writer.path);
		writer.path = NULL;
		return -1;
	}
	writer.running = true;
	return 0;
}

void stats_writer_stop(void)
{
	if (!writer.running)
		return;
	pthread_mutex_lock(&writer.lock);
	writer.stop = true;
	pthread_cond_signal(&writer.cond);
	pthread_mutex_unlock(&writer.lock);
	pthread_join(writer.thread, NULL);
	writer.running = false;
	free(writer.path);
	writer.path = NULL;
}
