/*
 * process - the daemon's process set-up: PID file, chroot, privileges,
 * signal mask.
 *
 * SYNOPSIS
 *	process_root_check(user, run_as_root, err, errlen);
 *	process_write_pid(path);  process_block_signals();
 *	process_chroot(dir);  process_drop_privileges(user);
 *	process_lookup_user("user:group", &uid, &gid, err, errlen);
 *	fd = process_detach(); ...; process_detach_done(fd);
 *
 * DESCRIPTION
 *	The order is main()'s: check what start-up needs (preflight.h),
 *	open the socket as root (owned by UserID, listener.h), detach, write the PID
 *	file, block the signals libmilter's signal thread waits for (before
 *	any thread starts), build the runtime (resolver, keys, lists), chroot
 *	when ChrootDirectory is set, drop to UserID ("user" or
 *	"user:group": supplementary groups cleared, gid then uid, and a check
 *	that root cannot be regained), and only then open the files the
 *	daemon writes (history, stats), so they are owned by that user and
 *	named as seen inside the chroot.
 *
 *	process_detach() forks: the parent stays until the child calls
 *	process_detach_done() (start-up finished: the parent exits 0) or
 *	exits without calling it (the parent exits 1), so start-up errors,
 *	which the child writes to the inherited stderr, reach whoever
 *	started the daemon with a non-zero status.  The child starts a new
 *	session in "/"; process_detach_done() points stdin, stdout and
 *	stderr at /dev/null (fd < 0: nothing to do, the daemon stays in the
 *	foreground).  process_detach() returns the fd to pass, or -1.
 *
 *	process_lookup_user() resolves UserID ("user" or "user:group"; the
 *	group defaults to the user's) without logging: -1 with the reason.
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
#include <sys/types.h>

int process_root_check(const char *user, bool run_as_root, char *err,
    size_t errlen);
int process_write_pid(const char *path);
void process_block_signals(void);
int process_chroot(const char *dir);
int process_drop_privileges(const char *spec);
int process_lookup_user(const char *spec, uid_t *uid, gid_t *gid,
    char *err, size_t errlen);
int process_detach(void);
void process_detach_done(int fd);

#endif
