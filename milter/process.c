/*
 * process - PID file, chroot, privileges, signal mask.  See process.h.
 */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/strbuf.h"
#include "../util/log.h"

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

int process_lookup_user(const char *spec, uid_t *uid, gid_t *gid,
    char *err, size_t errlen)
{
	char user[256], *group;
	struct passwd *pw;
	struct group *gr;

	if (str_copy(user, sizeof(user), spec) < 0) {
		str_copy(err, errlen, "UserID: too long");
		return -1;
	}
	if ((group = strchr(user, ':')) != NULL)
		*group++ = '\0';
	if ((pw = getpwnam(user)) == NULL) {
		str_format(err, errlen, "UserID: no such user '%s' (create it "
		    "first, see dmarcwarden(8))", user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group) {
		if ((gr = getgrnam(group)) == NULL) {
			str_format(err, errlen, "UserID: no such group '%s'",
			    group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

int process_drop_privileges(const char *spec)
{
	char err[512];
	uid_t uid;
	gid_t gid;

	if (spec == NULL || *spec == '\0')
		return 0;
	if (process_lookup_user(spec, &uid, &gid, err, sizeof(err)) < 0) {
		log_err("%s", err);
		return -1;
	}
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

/* The parent waits here for the child's verdict on its start-up: one
 * byte, 0 for ready; end of file without it means the child failed (it
 * has said why on the shared stderr). */
static void detach_parent_wait(int fd, pid_t child)
{
	unsigned char status = 1;
	ssize_t n;

	do
		n = read(fd, &status, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1) {
		status = 1;
		(void)waitpid(child, NULL, 0);
	}
	_exit(status == 0 ? 0 : 1);
}

int process_detach(void)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) < 0) {
		log_err("cannot detach: pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		log_err("cannot detach: fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(fds[1]);
		detach_parent_wait(fds[0], pid);
	}
	close(fds[0]);
	if (setsid() < 0 || chdir("/") < 0) {
		log_err("cannot detach: %s", strerror(errno));
		return -1;
	}
	return fds[1];
}

void process_detach_done(int fd)
{
	unsigned char ok = 0;
	int null;

	if (fd < 0)
		return;
	if ((null = open("/dev/null", O_RDWR)) >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	if (write(fd, &ok, 1) != 1)
		log_warn("cannot tell the parent process start-up is done");
	close(fd);
}
