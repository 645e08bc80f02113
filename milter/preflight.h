/*
 * preflight - everything start-up needs, checked before the daemon opens
 * its socket or detaches, and by "dmarcwarden -n".
 *
 * SYNOPSIS
 *	n = preflight_check(cfg, socket, PREFLIGHT_START, report, ctx);
 *
 * DESCRIPTION
 *	Checks, each reported on its own so one run shows every problem:
 *	    UserID        the user and group exist; root without UserID
 *	                  needs RunAsRoot (PREFLIGHT_START as root only)
 *	    ChrootDirectory   exists and is a directory
 *	    Socket        a unix socket's directory exists (and, at start,
 *	                  no running process answers on the socket)
 *	    LocalPolicyFile   loads (syntax, file:line)
 *	    TrustedForwarders parses
 *	    PublicSuffixList  loads (PolicyDiscovery psl)
 *	    TrustAnchorFile   readable (DNSSEC yes)
 *	    HistoryDB, StatsFile  their directory (inside ChrootDirectory);
 *	                          with HistoryDB postgresql://... the
 *	                          HistorySpool directory (or its parent)
 *	                  exists and UserID may write in it
 *	    PidFile       its directory exists
 *	report(ctx, message) is called once per problem; the messages name
 *	the key.  mode PREFLIGHT_CHECK (-n) leaves out what depends on the
 *	running system rather than the files: whether the socket is in use
 *	(a running daemon's -n before a reload would fail) and the root
 *	check.
 *
 * DIAGNOSTICS
 *	Returns the number of problems (0: start-up can proceed).
 */
#ifndef MILTER_PREFLIGHT_H
#define MILTER_PREFLIGHT_H

#include "../conf/config.h"

typedef enum preflight_mode {
	PREFLIGHT_CHECK,        /* dmarcwarden -n */
	PREFLIGHT_START         /* the daemon starting */
} preflight_mode_t;

typedef void (*preflight_report_fn)(void *ctx, const char *message);

unsigned preflight_check(const config_t *cfg, const char *socket,
    preflight_mode_t mode, preflight_report_fn report, void *ctx);

#endif
