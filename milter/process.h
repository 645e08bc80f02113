/*
 * process - the daemon's process set-up: PID file, chroot, privileges,
 * signal mask.
 *
 * SYNOPSIS
 *	process_root_check(user, run_as_root, err, errlen);
 *	process_write_pid(path);  process_block_signals();
 *	process_chroot(dir);  process_drop_privileges(user);
 *
 * DESCRIPTION
 *	The order is main()'s: open the socket as root, detach, write the PID
 *	file, block the signals libmilter's signal thread waits for (before
 *	any thread starts), build the runtime (resolver, keys, lists), chroot
 *	when ChrootDirectory is set, drop to UserID ("user" or
 *	"user:group": supplementary groups cleared, gid then uid, and a check
 *	that root cannot be regained), and only then open the files the
 *	daemon writes (history, stats), so they are owned by that user and
 *	named as seen inside the chroot.
 *
 *	process_root_check() refuses to run as root without UserID unless
 *	RunAsRoot is set: a milter parses hostile input all day.
 *
 * DIAGNOSTICS
 *	Functions return 0, or -1 after logging why.
 */
#ifndef MILTER_PROCESS_H
#define MILTER_PROCESS_H

#include <stdbool.h>
#include <stddef.h>

int process_root_check(const char *user, bool run_as_root, char *err,
    size_t errlen);
int process_write_pid(const char *path);
void process_block_signals(void);
int process_chroot(const char *dir);
int process_drop_privileges(const char *spec);

#endif
