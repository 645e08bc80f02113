/*
 * config - dmarcwarden.conf: one key-value file, loaded once, read-only.
 *
 * SYNOPSIS
 *	config_t *cfg = config_load(path, err, sizeof(err));
 *	use cfg->socket, ...; config_free(cfg);
 *
 * DESCRIPTION
 *	The file holds one "Key value" per line; a line whose first non-blank
 *	character is '#' is a comment ('#' elsewhere is part of the value);
 *	keys are case-insensitive; values run to the end of the line (inner
 *	whitespace kept, outer trimmed); a value of exactly "" is the empty
 *	string, and a key without a value is an error.  Lines are at most
 *	CONFIG_LINE_MAX bytes, the file at most CONFIG_FILE_MAX; NUL and
 *	control characters (other than tab, and CR before the newline) are
 *	errors.  Keys are defined in one table (name, type, default, field,
 *	check) in config_keys.c; every key is documented in
 *	dmarcwarden.conf(5) and contrib/dmarcwarden.conf.  Unknown keys, bad
 *	values and duplicate keys are errors.  A missing file is an error; a
 *	NULL path gives the built-in defaults.
 *
 *	The config is the only global state: the daemon holds a pointer to
 *	the current one; a reload builds a new config and swaps the pointer.
 *	The config_t belongs to the caller; free with config_free (NULL ok).
 *
 *	Texts: RejectText may hold "%d" (the author domain) and "%%" (a
 *	percent); BadFromText only "%%"; both are printable ASCII of at most
 *	200 bytes (decide_expand() does the expansion).  Enum fields hold
 *	the values of their enum types; string fields are never NULL after
 *	a successful load ("" where empty is allowed); domain lists are
 *	lower-case A-labels (domain_normalize), never NULL (an empty list is
 *	{ NULL }).  The AuthservID default is the host name, completed with
 *	getaddrinfo(AI_CANONNAME) when it has no dot; it is computed only
 *	when the file does not set AuthservID.
 *
 *	config_load_buffer() parses text of len bytes as if read from the
 *	file `name` (used by tests and by config_load itself).
 *
 *	Reload (SIGHUP, reconfig.h): some keys are fixed for the life of the
 *	process (the socket, privileges, chroot, logging, the history and
 *	stats writers, the resolver): config_key_restart() says which.
 *	config_keep_restart_keys() gives each such key of a freshly loaded
 *	next config that differs from the running one the running value
 *	back, and names it in changed[] (the first max names; the count of
 *	all is returned), so the daemon can warn "restart to apply".  When
 *	neither sets AuthservID, next keeps the running (computed) value
 *	too: the host name lookup may differ inside a chroot.
 *	config_key_count()/config_key_name() enumerate the table (for tests
 *	and documentation checks).
 *
 * DIAGNOSTICS
 *	config_load() returns NULL with "file:line: message" in err, or
 *	"file: message" when no line is to blame (cannot open, too large).
 *	A bad line does not stop the parse: every bad line gives its own
 *	message, one per line of err (newline-separated, at most
 *	CONFIG_ERR_LINES, then "... and N more"; config_check.h), and the
 *	file as a whole is still refused.  The cross-key checks below run
 *	only when every line was good.  CONFIG_ERRS_MAX is a buffer size
 *	that holds a full list; config_error_lines() walks it.
 *	Examples: "unknown key 'Foo'", "duplicate key Socket (first set at
 *	line 3)", "missing value for Socket ...", "bad value for DNSTimeout:
 *	'0' (expected a number 1..60)", "line too long ...", "NUL byte in
 *	line".
 */
#ifndef MILTER_CONFIG_H
#define MILTER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../policy/discovery.h"
#include "../policy/netlist.h"
#include "../policy/override.h"

#define CONFIG_ERR_MAX 512
#define CONFIG_ERRS_MAX (32 * 1024)    /* a whole list of errors */
#define CONFIG_LINE_MAX 4096
#define CONFIG_FILE_MAX (1024 * 1024)

typedef enum temperror_action {
	TEMPERROR_ACCEPT = 0,
	TEMPERROR_TEMPFAIL
} temperror_action_t;
typedef enum quarantine_mode {
	QUARANTINE_HOLD = 0,
	QUARANTINE_HEADER
} quarantine_mode_t;
typedef enum multifrom_action {
	MULTIFROM_REJECT = 0,
	MULTIFROM_STRICTEST
} multifrom_action_t;
typedef enum badfrom_action {
	BADFROM_REJECT = 0,
	BADFROM_ACCEPT
} badfrom_action_t;
typedef enum report_format {
	REPORT_RFC9990 = 0,
	REPORT_RFC7489
} report_format_t;
typedef enum forwarder_action {
	FORWARDER_ACTION_NONE = 0,
	FORWARDER_ACTION_QUARANTINE
} forwarder_action_t;

typedef struct config {
	char *path;                 /* file loaded, or NULL for defaults */
	char *socket;               /* Socket */
	char *authserv_id;          /* AuthservID; default: gethostname() */
	char *history_db;           /* HistoryDB; "" disables history */
	unsigned history_buffer;    /* HistoryBufferRows */
	char *history_host;         /* HistoryHost; "" = gethostname() */
	char *history_spool;        /* HistorySpool (PostgreSQL only) */
	unsigned history_spool_max; /* HistorySpoolMax, bytes */
	char *nameservers;          /* Nameservers; "" = /etc/resolv.conf */
	unsigned dns_timeout;       /* DNSTimeout, seconds */
	unsigned milter_timeout;    /* MilterTimeout, seconds */
	unsigned dns_per_domain;    /* DNSLookupsPerDomain, 0 = no bound */
	unsigned policy_cache_time; /* PolicyCacheTime, seconds, 0 = off */
	bool dnssec;                /* DNSSEC */
	char *trust_anchor;         /* TrustAnchorFile */
	enforce_stage_t enforcement;  /* Enforcement monitor|quarantine|reject
	                               (off = monitor = 0, on = reject = 1) */
	char *psl_file;             /* PublicSuffixList */
	discovery_method_t discovery; /* PolicyDiscovery treewalk|psl */
	char *user;                 /* UserID; "" = do not change */
	char *pid_file;             /* PidFile; "" = none */
	unsigned max_signatures;    /* MaximumSignatures */
	bool dkim_trust_length;     /* DKIMTrustLengthTag */
	unsigned max_header_fields; /* MaxHeaderFields (DKIM, ARC) */
	unsigned max_header_bytes;  /* MaxHeaderBytes (DKIM, ARC) */
	temperror_action_t temperror_action; /* TempErrorAction */
	char *reject_text;          /* RejectText, "%d" = domain */
	quarantine_mode_t quarantine_mode;   /* QuarantineMode hold|header */
	char *quarantine_header;    /* QuarantineHeader name */
	multifrom_action_t multiple_from;    /* MultipleFrom */
	badfrom_action_t bad_from;  /* BadFromAction */
	char *bad_from_text;        /* BadFromText */
	netlist_t *ignore_networks; /* IgnoreNetworks (CIDR list) */
	bool ignore_authenticated;  /* IgnoreAuthenticated */
	char **ignore_sender_domains;    /* IgnoreSenderDomains, NULL-ended */
	char **ignore_recipient_domains; /* IgnoreRecipientDomains */
	bool syslog;                /* Syslog */
	char *syslog_facility;      /* SyslogFacility, default "mail" */
	unsigned umask;             /* UMask (octal) for the unix socket */
	bool run_as_root;           /* RunAsRoot: allow root without UserID */
	char *chroot;               /* ChrootDirectory; "" = none */
	char *stats_file;           /* StatsFile; "" = none */
	unsigned stats_interval;    /* StatsInterval, seconds */
	/* dmarcwarden-report(8); "" = derived, see dmarcwarden.conf(5) */
	char *report_org_name;      /* ReportOrgName; "" = AuthservID */
	char *report_sender;        /* ReportSender address; "" = derived */
	char *report_contact;       /* ReportContactInfo */
	report_format_t report_format;  /* ReportFormat rfc9990|rfc7489 */
	char *report_sendmail;      /* ReportSendmail path */
	char *report_smtp_relay;    /* ReportSMTPRelay host[:port]; "" = none */
	char *report_sign_key;      /* ReportSigningKey (PEM); "" = no DKIM */
	char *report_sign_selector; /* ReportSigningSelector */
	char *report_sign_domain;   /* ReportSigningDomain; "" = sender's */
	unsigned report_max_attempts;   /* ReportMaxAttempts */
	unsigned report_retry_backoff;  /* ReportRetryBackoff, seconds */
	unsigned report_catchup_days;   /* ReportCatchUpDays */
	unsigned report_send_concurrency; /* ReportSendConcurrency */
	char *no_reports;           /* NoReportsList: domains, addresses */
	bool failure_reports;       /* FailureReports */
	char *failure_headers;      /* FailureReportHeaders: field names */
	unsigned failure_hourly_cap;    /* FailureReportHourlyCap */
	/* Local exceptions (issue 3) */
	char *trusted_forwarders;   /* TrustedForwarders: CIDRs, host names */
	forwarder_action_t forwarder_action; /* TrustedForwarderAction */
	char **arc_trusted_sealers; /* ArcTrustedSealers, NULL-ended */
	list_action_t list_action;  /* MailingListAction */
	char *local_policy_file;    /* LocalPolicyFile; "" = none */
	bool authserv_id_computed;  /* AuthservID not set: the host name */
} config_t;

config_t *config_load(const char *path, char *err, size_t errlen);
config_t *config_load_buffer(const char *name, const char *text, size_t len,
    char *err, size_t errlen);
void config_free(config_t *cfg);
/* Print the effective configuration, one "Key value" per line. */
void config_dump(const config_t *cfg, FILE *fp);
/* True when domain (lower-case) equals or is a subdomain of an entry. */
bool config_domain_listed(char *const *list, const char *domain);
size_t config_key_count(void);
const char *config_key_name(size_t i);  /* NULL past the end */
/* True for keys a running daemon cannot change (needs a restart). */
bool config_key_restart(size_t i);
size_t config_keep_restart_keys(config_t *next, const config_t *running,
    const char **changed, size_t max);

#endif
