/*
 * config_keys - the table of dmarcwarden.conf keys.  See config_keys.h.
 *
 *	The rows, the names of enum values, and the checks of string values
 *	that only this table uses (the reporter's keys, dmarcwarden-report(8));
 *	the checks shared with other files are in config_check.c.
 */
#include "config_keys.h"

#include <stdbool.h>
#include <string.h>

#include "../policy/evaluate.h"
#include "../util/strbuf.h"
#include "config.h"
#include "forwarder.h"

_Static_assert(sizeof(temperror_action_t) == sizeof(int), "enum size");
_Static_assert(sizeof(quarantine_mode_t) == sizeof(int), "enum size");
_Static_assert(sizeof(multifrom_action_t) == sizeof(int), "enum size");
_Static_assert(sizeof(badfrom_action_t) == sizeof(int), "enum size");
_Static_assert(sizeof(discovery_method_t) == sizeof(int), "enum size");
_Static_assert(sizeof(report_format_t) == sizeof(int), "enum size");
_Static_assert(sizeof(enforce_stage_t) == sizeof(int), "enum size");
_Static_assert(sizeof(forwarder_action_t) == sizeof(int), "enum size");
_Static_assert(sizeof(list_action_t) == sizeof(int), "enum size");

static const char *const discovery_names[] = { "treewalk", "psl", NULL };
static const char *const temperror_names[] = { "accept", "tempfail", NULL };
static const char *const quarantine_names[] = { "hold", "header", NULL };
static const char *const multifrom_names[] = { "reject", "strictest", NULL };
static const char *const badfrom_names[] = { "reject", "accept", NULL };
static const char *const report_format_names[] = { "rfc9990", "rfc7489",
	NULL };
/* Index = enum value (override.h keeps off = 0, on = 1). */
static const char *const enforcement_names[] = { "monitor", "reject",
	"quarantine", NULL };
static const char *const forwarder_action_names[] = { "none", "quarantine",
	NULL };
static const char *const list_action_names[] = { "quarantine", "none",
	"policy", NULL };

/* Other spellings of enum values, accepted but never written. */
static const cfg_enum_alias_t enum_aliases[] = {
	{ enforcement_names, "off", ENFORCE_MONITOR },
	{ enforcement_names, "on", ENFORCE_REJECT },
};

/* Checks of the reporter's keys (dmarcwarden-report(8)). */
static int check_fail(char *why, size_t len, const char *msg)
{
	str_copy(why, len, msg);
	return -1;
}

/* HistoryHost: printable ASCII, no spaces (a host name). */
static int check_history_host(char *v, char *why, size_t len)
{
	if (strlen(v) > 255)
		return check_fail(why, len, "longer than 255 characters");
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return check_fail(why, len, "expected a host name "
			    "(printable ASCII, no spaces)");
	return 0;
}

/* local@domain: printable ASCII local part, a valid domain. */
static int check_address(char *v, char *why, size_t len)
{
	char dom[CONFIG_DOMAIN_MAX];
	char *at = strrchr(v, '@');
	size_t i;

	if (at == NULL || at == v || strlen(v) > 254)
		return check_fail(why, len, "expected local@domain");
	for (i = 0; v + i < at; i++)
		if (v[i] <= 0x20 || v[i] >= 0x7f || strchr("<>()[],;:\\\"",
		    v[i]) != NULL)
			return check_fail(why, len, "bad local part");
	if (config_domain_normalize(at + 1, strlen(at + 1), dom, sizeof(dom),
	    why, len) < 0)
		return -1;
	return 0;
}

static int check_domain(char *v, char *why, size_t len)
{
	char dom[CONFIG_DOMAIN_MAX];

	if (config_domain_normalize(v, strlen(v), dom, sizeof(dom), why,
	    len) < 0)
		return -1;
	if (strlen(dom) > strlen(v))
		return check_fail(why, len, "write the domain as A-labels");
	str_copy(v, strlen(v) + 1, dom);
	return 0;
}

/* host or [address], optionally :port */
static int check_hostport(char *v, char *why, size_t len)
{
	size_t i, n = strlen(v);

	if (n > 255)
		return check_fail(why, len, "longer than 255 bytes");
	for (i = 0; i < n; i++)
		if (!(v[i] >= 'a' && v[i] <= 'z') && !(v[i] >= 'A' &&
		    v[i] <= 'Z') && !(v[i] >= '0' && v[i] <= '9') &&
		    strchr(".-:[]", v[i]) == NULL)
			return check_fail(why, len, "expected host[:port]");
	return 0;
}

/* Items separated by commas or spaces, each checked by one function. */
static int check_items(char *v, config_check_fn item, char *why, size_t len)
{
	char buf[CONFIG_LINE_MAX + 1];
	const char *p = v;
	size_t n;

	for (;;) {
		p += strspn(p, ", \t");
		if (*p == '\0')
			return 0;
		n = strcspn(p, ", \t");
		str_ncopy(buf, sizeof(buf), p, n);
		if (item(buf, why, len) < 0)
			return -1;
		p += n;
	}
}

static int check_noreport_item(char *v, char *why, size_t len)
{
	return strchr(v, '@') ? check_address(v, why, len) :
	    check_domain(v, why, len);
}

static int check_noreports(char *v, char *why, size_t len)
{
	return check_items(v, check_noreport_item, why, len);
}

static int check_header_list(char *v, char *why, size_t len)
{
	return check_items(v, config_check_header_name, why, len);
}

/* TrustedForwarders: networks and host names (forwarder.h). */
static int check_forwarders(char *v, char *why, size_t len)
{
	forwarders_t *f = forwarders_parse(v, why, len);
	int rc = f ? 0 : -1;

	forwarders_free(f);
	return rc;
}

#define OFF(f) offsetof(config_t, f)
#define STR(n, d, f, fl, chk) { n, CT_STRING, d, OFF(f), fl, chk, NULL, 0, 0 }
#define PATHK(n, d, f, fl) { n, CT_PATH, d, OFF(f), fl, NULL, NULL, 0, 0 }
#define TYPED(n, t, d, f, fl) { n, t, d, OFF(f), fl, NULL, NULL, 0, 0 }
#define UINT(n, d, f, lo, hi) { n, CT_UINT, d, OFF(f), 0, NULL, NULL, lo, hi }
#define UINTR(n, d, f, lo, hi) { n, CT_UINT, d, OFF(f), F_RESTART, NULL, \
	NULL, lo, hi }
#define ENUM(n, d, f, names) { n, CT_ENUM, d, OFF(f), 0, NULL, names, 0, 0 }

static const cfg_key_t config_keys[] = {
	STR("Socket", "unix:/run/dmarcwarden/dmarcwarden.sock", socket, F_RESTART,
	    config_check_socket),
	STR("AuthservID", NULL, authserv_id, 0, config_check_authserv_id),
	STR("HistoryDB", "/var/lib/dmarcwarden/history.db", history_db,
	    F_EMPTY_OK | F_RESTART, config_check_history_db),
	UINTR("HistoryBufferRows", "10000", history_buffer, 1, 1000000),
	STR("HistoryHost", "", history_host, F_EMPTY_OK | F_RESTART,
	    check_history_host),
	PATHK("HistorySpool", "/var/lib/dmarcwarden/spool", history_spool,
	    F_RESTART),
	UINTR("HistorySpoolMax", "1073741824", history_spool_max, 1048576,
	    4294967295u),
	STR("Nameservers", "", nameservers, F_EMPTY_OK | F_RESTART,
	    config_check_nameservers),
	UINTR("DNSTimeout", "5", dns_timeout, 1, 60),
	UINTR("MilterTimeout", "600", milter_timeout, 5, 86400),
	UINTR("DNSLookupsPerDomain", "32", dns_per_domain, 0, 100000),
	UINTR("PolicyCacheTime", "86400", policy_cache_time, 0, 2592000),
	TYPED("DNSSEC", CT_BOOL, "no", dnssec, F_RESTART),
	PATHK("TrustAnchorFile", "/usr/share/dns/root.key", trust_anchor,
	    F_EMPTY_OK | F_RESTART),
	ENUM("Enforcement", "reject", enforcement, enforcement_names),
	PATHK("PublicSuffixList",
	    "/usr/share/publicsuffix/public_suffix_list.dat", psl_file,
	    F_EMPTY_OK),
	ENUM("PolicyDiscovery", "treewalk", discovery, discovery_names),
	STR("UserID", "", user, F_EMPTY_OK | F_RESTART, config_check_user),
	PATHK("PidFile", "", pid_file, F_EMPTY_OK | F_RESTART),
	UINT("MaximumSignatures", "10", max_signatures, 1, EVAL_MAX_DKIM),
	TYPED("DKIMTrustLengthTag", CT_BOOL, "no", dkim_trust_length, 0),
	UINT("MaxHeaderFields", "1000", max_header_fields, 16, 4096),
	UINT("MaxHeaderBytes", "262144", max_header_bytes, 4096, 1048576),
	ENUM("TempErrorAction", "accept", temperror_action, temperror_names),
	STR("RejectText", "DMARC policy of %d rejects this message",
	    reject_text, 0, config_check_reject_text),
	ENUM("QuarantineMode", "hold", quarantine_mode, quarantine_names),
	STR("QuarantineHeader", "X-Dmarcwarden-Quarantine",
	    quarantine_header, 0, config_check_header_name),
	ENUM("MultipleFrom", "reject", multiple_from, multifrom_names),
	ENUM("BadFromAction", "reject", bad_from, badfrom_names),
	STR("BadFromText", "Message has no valid From header (RFC 5322)",
	    bad_from_text, 0, config_check_reply_text),
	TYPED("IgnoreNetworks", CT_NETLIST, "127.0.0.0/8, ::1/128",
	    ignore_networks, F_EMPTY_OK),
	TYPED("IgnoreAuthenticated", CT_BOOL, "yes", ignore_authenticated, 0),
	TYPED("IgnoreSenderDomains", CT_DOMAINLIST, "", ignore_sender_domains,
	    F_EMPTY_OK),
	TYPED("IgnoreRecipientDomains", CT_DOMAINLIST, "",
	    ignore_recipient_domains, F_EMPTY_OK),
	TYPED("Syslog", CT_BOOL, "yes", syslog, F_RESTART),
	STR("SyslogFacility", "mail", syslog_facility, F_RESTART,
	    config_check_facility),
	{ "UMask", CT_OCTAL, "007", OFF(umask), F_RESTART, NULL, NULL, 0,
	    0777 },
	TYPED("RunAsRoot", CT_BOOL, "no", run_as_root, F_RESTART),
	PATHK("ChrootDirectory", "", chroot, F_EMPTY_OK | F_RESTART),
	PATHK("StatsFile", "", stats_file, F_EMPTY_OK | F_RESTART),
	UINTR("StatsInterval", "60", stats_interval, 1, 86400),
	STR("ReportOrgName", "", report_org_name, F_EMPTY_OK,
	    config_check_reply_text),
	STR("ReportSender", "", report_sender, F_EMPTY_OK, check_address),
	STR("ReportContactInfo", "", report_contact, F_EMPTY_OK,
	    config_check_reply_text),
	ENUM("ReportFormat", "rfc9990", report_format, report_format_names),
	PATHK("ReportSendmail", "/usr/sbin/sendmail", report_sendmail, 0),
	STR("ReportSMTPRelay", "", report_smtp_relay, F_EMPTY_OK,
	    check_hostport),
	PATHK("ReportSigningKey", "", report_sign_key, F_EMPTY_OK),
	STR("ReportSigningSelector", "", report_sign_selector, F_EMPTY_OK,
	    check_domain),
	STR("ReportSigningDomain", "", report_sign_domain, F_EMPTY_OK,
	    check_domain),
	UINT("ReportMaxAttempts", "5", report_max_attempts, 1, 100),
	UINT("ReportRetryBackoff", "3600", report_retry_backoff, 0, 86400),
	UINT("ReportCatchUpDays", "7", report_catchup_days, 0, 366),
	UINT("ReportSendConcurrency", "4", report_send_concurrency, 1, 64),
	STR("NoReportsList", "", no_reports, F_EMPTY_OK, check_noreports),
	TYPED("FailureReports", CT_BOOL, "no", failure_reports, 0),
	STR("FailureReportHeaders", "From, Date, Subject, Message-ID, "
	    "Reply-To, Sender, MIME-Version, Content-Type, DKIM-Signature, "
	    "Authentication-Results, Received", failure_headers, 0,
	    check_header_list),
	UINT("FailureReportHourlyCap", "10", failure_hourly_cap, 1, 100000),
	STR("TrustedForwarders", "", trusted_forwarders, F_EMPTY_OK,
	    check_forwarders),
	ENUM("TrustedForwarderAction", "none", forwarder_action,
	    forwarder_action_names),
	TYPED("ArcTrustedSealers", CT_DOMAINLIST, "", arc_trusted_sealers,
	    F_EMPTY_OK),
	ENUM("MailingListAction", "quarantine", list_action, list_action_names),
	PATHK("LocalPolicyFile", "", local_policy_file, F_EMPTY_OK),
};

#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))
#define NALIASES (sizeof(enum_aliases) / sizeof(enum_aliases[0]))

const cfg_key_t *config_key_find(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (str_ieq(config_keys[i].name, name))
			return &config_keys[i];
	return NULL;
}

const cfg_key_t *config_key_at(size_t i)
{
	return i < NKEYS ? &config_keys[i] : NULL;
}

size_t config_key_index(const cfg_key_t *k)
{
	return (size_t)(k - config_keys);
}

const cfg_enum_alias_t *config_enum_alias_at(size_t i)
{
	return i < NALIASES ? &enum_aliases[i] : NULL;
}

bool config_key_restart(size_t i)
{
	return i < NKEYS && (config_keys[i].flags & F_RESTART) != 0;
}

size_t config_key_count(void)
{
	return NKEYS;
}

const char *config_key_name(size_t i)
{
	return i < NKEYS ? config_keys[i].name : NULL;
}
