/*
 * config - dmarcwarden.conf: one key-value file, loaded once, read-only.
 *
 * SYNOPSIS
 *	config_t *cfg = config_load(path, err, sizeof(err));
 *	use cfg->socket, ...; config_free(cfg);
 *
 * DESCRIPTION
 *	The file holds one "Key value" per line; '#' starts a comment;
 *	keys are case-insensitive; values run to the end of the line (inner
 *	whitespace kept, outer trimmed).  Keys are defined in one table (name,
 *	type, default, field, check) in config.c; every key is documented in
 *	dmarcwarden.conf(5) and contrib/dmarcwarden.conf.  Unknown keys, bad
 *	values and duplicate keys are errors.  A missing file is an error; a
 *	NULL path gives the built-in defaults.
 *
 *	The config is the only global state: the daemon holds a pointer to
 *	the current one; a reload builds a new config and swaps the pointer.
 *	The config_t belongs to the caller; free with config_free (NULL ok).
 *
 * DIAGNOSTICS
 *	config_load() returns NULL with "file:line: message" in err.
 */
#ifndef MILTER_CONFIG_H
#define MILTER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../policy/discovery.h"
#include "../policy/netlist.h"

#define CONFIG_ERR_MAX 512

typedef enum temperror_action { TEMPERROR_ACCEPT = 0, TEMPERROR_TEMPFAIL } temperror_action_t;
typedef enum quarantine_mode { QUARANTINE_HOLD = 0, QUARANTINE_HEADER } quarantine_mode_t;
typedef enum multifrom_action { MULTIFROM_REJECT = 0, MULTIFROM_STRICTEST } multifrom_action_t;
typedef enum badfrom_action { BADFROM_REJECT = 0, BADFROM_ACCEPT } badfrom_action_t;

typedef struct config {
	char *path;                 /* file loaded, or NULL for defaults */
	char *socket;               /* Socket */
	char *authserv_id;          /* AuthservID; default: gethostname() */
	char *history_db;           /* HistoryDB; "" disables history */
	unsigned history_buffer;    /* HistoryBufferRows */
	char *nameservers;          /* Nameservers; "" = /etc/resolv.conf */
	unsigned dns_timeout;       /* DNSTimeout, seconds */
	bool dnssec;                /* DNSSEC */
	char *trust_anchor;         /* TrustAnchorFile */
	bool enforcement;           /* Enforcement on|off */
	char *psl_file;             /* PublicSuffixList */
	discovery_method_t discovery; /* PolicyDiscovery treewalk|psl */
	char *user;                 /* UserID; "" = do not change */
	char *pid_file;             /* PidFile; "" = none */
	unsigned max_signatures;    /* MaximumSignatures */
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
} config_t;

config_t *config_load(const char *path, char *err, size_t errlen);
void config_free(config_t *cfg);
/* Print the effective configuration, one "Key value" per line. */
void config_dump(const config_t *cfg, FILE *fp);
/* True when domain (lower-case) equals or is a subdomain of an entry. */
bool config_domain_listed(char *const *list, const char *domain);

#endif
