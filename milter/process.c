/*
 * process - PID file, chroot, privileges, signal mask.  See process.h.
 */
#include "process.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../policy/strbuf.h"
#include "log.h"

int process_root_check(const char *user, bool run_as_root, char *err,
    size_t errlen)
{
	if (geteuid() != 0 || (user && *user) || run_as_root)
		return 0;
	str_copy(err, errlen, "refusing to run as root: set UserID (or "
	    "RunAsRoot yes to insist)");
	return -1;
}

int process_write_pid(const char *path)
{
	FILE *fp;

	if (path == NULL || *path == '\0')
		return 0;
	fp = fopen(path, "w");
	if (fp == NULL) {
		log_err("cannot write PID file %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(fp, "%ld\n", (long)getpid());
	if (fclose(fp) != 0) {
		log_err("cannot write PID file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* libmilter's signal thread sigwait()s for SIGTERM, SIGINT and SIGHUP;
 * every other thread must have them blocked, including the resolver and
 * history threads started before smfi_main(), or a signal kills the
 * process before pending history rows are written. */
void process_block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int process_chroot(const char *dir)
{
	if (dir == NULL || *dir == '\0')
		return 0;
	if (chroot(dir) < 0 || chdir("/") < 0) {
		log_err("cannot chroot to %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int lookup_ids(char *user, uid_t *uid, gid_t *gid)
{
	char *group = strchr(user, ':');
	struct passwd *pw;
	struct group *gr;

	if (group)
		*group++ = '\0';
	pw = getpwnam(user);
	if (pw == NULL) {
		log_err("UserID: no such user '%s'", user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group) {
		gr = getgrnam(group);
		if (gr == NULL) {
			log_err("UserID: no such group '%s'", group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

int process_drop_privileges(const char *spec)
{
	char user[256];
	uid_t uid;
	gid_t gid;

	if (spec == NULL || *spec == '\0')
		return 0;
	if (str_copy(user, sizeof(user), spec) < 0 ||
	    lookup_ids(user, &uid, &gid) < 0)
		return -1;
	if (geteuid() != 0) {
		if (geteuid() == uid)
			return 0;
		log_err("UserID %s: not root, cannot change user", spec);
		return -1;
	}
	if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
		log_err("cannot change to user %s: %s", spec, strerror(errno));
		return -1;
	}
	if (uid != 0 && setuid(0) == 0) {
		log_err("could regain root after dropping privileges");
		return -1;
	}
	return 0;
}
