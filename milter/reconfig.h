/*
 * reconfig - SIGHUP: dmarcwarden.conf loaded again and published as a new
 * generation, without dropping connections.
 *
 * SYNOPSIS
 *	reconfig_reload(path, slot);            0 done, -1 refused
 *	reload_install(reconfig_sighup, rt);    rt: the runtime_t
 *
 * DESCRIPTION
 *	reconfig_reload() loads path (the -c file of the start) with
 *	config_load(), gives the restart-only keys their running values
 *	back (config_keep_restart_keys(): one warning per changed key,
 *	"KEY changed; restart dmarcwarden to apply"), builds a generation
 *	(generation.h: TrustedForwarders, LocalPolicyFile read again,
 *	PublicSuffixList when it changed) and publishes it in slot.  It
 *	logs one line: "reloaded FILE: Enforcement ..., AuthservID ...,
 *	LocalPolicyFile FILE (N entries)" when done; "FILE not reloaded,
 *	the running configuration stays in force: REASON" when any part
 *	fails (REASON holds file:line for errors in a file), and then
 *	nothing changes.  Either way it counts the reload
 *	(stats_count_reload).
 *
 *	The work (reading and parsing files) happens before the one pointer
 *	swap and holds no lock that a milter thread takes: messages go on
 *	meanwhile with the generation they hold; messages that start after
 *	the swap get the new one.
 *
 *	reconfig_sighup() is the reload_fn (reload.h) the daemon installs;
 *	its argument is the runtime_t (runtime.h: config_path, generations).
 *
 * BUGS
 *	The file is read again after chroot and the change of user: a
 *	config (and LocalPolicyFile, PublicSuffixList) the UserID cannot
 *	read, or whose path does not exist inside ChrootDirectory, makes
 *	every SIGHUP fail (logged, counted, the running configuration
 *	stays).
 */
#ifndef MILTER_RECONFIG_H
#define MILTER_RECONFIG_H

#include "generation.h"

int reconfig_reload(const char *path, generation_slot_t *slot);
void reconfig_sighup(void *runtime);

#endif
