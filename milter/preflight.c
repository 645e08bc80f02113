/*
 * preflight - start-up checks.  See preflight.h.
 */
#include "preflight.h"

#include <errno.h>
#include <fcntl.h>
#include <libpsl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/strbuf.h"
#include "../conf/config_check.h"
#include "../conf/forwarder.h"
#include "listener.h"
#include "localpolicy.h"
#include "process.h"

typedef struct preflight {
	preflight_report_fn report;
	void *ctx;
	unsigned problems;
	bool have_ids;          /* uid/gid: whom the daemon will run as */
	uid_t uid;
	gid_t gid;
} preflight_t;

static void problem(preflight_t *pf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(preflight_t *pf, const char *fmt, ...)
{
	char msg[CONFIG_ERR_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pf->report(pf->ctx, msg);
	pf->problems++;
}

static void check_user(preflight_t *pf, const config_t *cfg,
    preflight_mode_t mode)
{
	char err[512];

	if (cfg->user[0] == '\0') {
		if (mode == PREFLIGHT_START && process_root_check(cfg->user,
		    cfg->run_as_root, err, sizeof(err)) < 0)
			problem(pf, "%s", err);
		pf->uid = geteuid();
		pf->gid = getegid();
		pf->have_ids = true;
		return;
	}
	if (process_lookup_user(cfg->user, &pf->uid, &pf->gid, err,
	    sizeof(err)) < 0)
		problem(pf, "%s", err);
	else
		pf->have_ids = true;
}

/* The directory part of path ("/" for "/x"). */
static void dir_of(const char *path, char *dir, size_t len)
{
	char *slash;

	str_copy(dir, len, path);
	if ((slash = strrchr(dir, '/')) != NULL)
		slash[slash == dir ? 1 : 0] = '\0';
}

/* May the daemon's user write to st (root may, mode bits otherwise;
 * supplementary groups are cleared at the privilege drop)? */
static bool user_may_write(const preflight_t *pf, const struct stat *st)
{
	if (!pf->have_ids || pf->uid == 0)
		return true;
	if (st->st_uid == pf->uid)
		return (st->st_mode & S_IWUSR) != 0;
	if (st->st_gid == pf->gid)
		return (st->st_mode & S_IWGRP) != 0;
	return (st->st_mode & S_IWOTH) != 0;
}

/* key's file at path (as seen after chroot when inside is set): its
 * directory exists; written: the user may create the file there. */
static void check_dir(preflight_t *pf, const config_t *cfg, const char *key,
    const char *path, bool inside, bool written)
{
	char full[4096], dir[4096];
	const char *who;
	struct stat st;

	if (path == NULL || path[0] == '\0')
		return;
	if (str_format(full, sizeof(full), "%s%s", inside ? cfg->chroot : "",
	    path) < 0) {
		problem(pf, "%s %s: path too long", key, path);
		return;
	}
	dir_of(full, dir, sizeof(dir));
	if (stat(dir, &st) < 0) {
		problem(pf, "%s %s: directory %s: %s", key, path, dir,
		    strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		problem(pf, "%s %s: %s is not a directory", key, path, dir);
		return;
	}
	if (!written)
		return;
	who = cfg->user[0] ? cfg->user : "(the current user)";
	if (!user_may_write(pf, &st))
		problem(pf, "%s %s: UserID %s cannot create files in %s", key,
		    path, who, dir);
	else if (stat(full, &st) == 0 && !user_may_write(pf, &st))
		problem(pf, "%s %s: UserID %s cannot write it", key, path, who);
}

/* HistoryDB postgresql://...: no file, but the spool directory (created
 * by the daemon when missing) must be writable by UserID. */
static void check_history(preflight_t *pf, const config_t *cfg)
{
	char full[4096], parent[4096];
	const char *who = cfg->user[0] ? cfg->user : "(the current user)";
	struct stat st;

	if (strncmp(cfg->history_db, "postgresql://", 13) != 0 &&
	    strncmp(cfg->history_db, "postgres://", 11) != 0) {
		check_dir(pf, cfg, "HistoryDB", cfg->history_db, true, true);
		return;
	}
	if (str_format(full, sizeof(full), "%s%s", cfg->chroot,
	    cfg->history_spool) < 0) {
		problem(pf, "HistorySpool %s: path too long",
		    cfg->history_spool);
		return;
	}
	if (stat(full, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			problem(pf, "HistorySpool %s: not a directory",
			    cfg->history_spool);
		else if (!user_may_write(pf, &st))
			problem(pf, "HistorySpool %s: UserID %s cannot write "
			    "it", cfg->history_spool, who);
		return;
	}
	dir_of(full, parent, sizeof(parent));
	if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    !user_may_write(pf, &st))
		problem(pf, "HistorySpool %s: missing, and UserID %s cannot "
		    "create it in %s", cfg->history_spool, who, parent);
}

static void check_socket(preflight_t *pf, const config_t *cfg,
    const char *sock, preflight_mode_t mode)
{
	char err[512];
	const char *path = listener_unix_path(sock);

	if (path == NULL)
		return;
	check_dir(pf, cfg, "Socket", path, false, false);
	if (mode == PREFLIGHT_START && listener_in_use(sock, err, sizeof(err)))
		problem(pf, "%s", err);
}

static void check_chroot(preflight_t *pf, const config_t *cfg)
{
	struct stat st;

	if (cfg->chroot[0] == '\0')
		return;
	if (stat(cfg->chroot, &st) < 0)
		problem(pf, "ChrootDirectory %s: %s", cfg->chroot,
		    strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		problem(pf, "ChrootDirectory %s: not a directory", cfg->chroot);
}

/* The files the generation loads (generation.c), each on its own. */
static void lp_problem(void *pf, const char *line)
{
	problem(pf, "LocalPolicyFile: %s", line);
}

static void check_lists(preflight_t *pf, const config_t *cfg)
{
	char why[CONFIG_ERRS_MAX];
	localpolicy_t *lp;
	forwarders_t *fw;
	psl_ctx_t *psl;

	if (cfg->local_policy_file[0]) {
		if ((lp = localpolicy_load(cfg->local_policy_file, why,
		    sizeof(why))) == NULL)
			config_error_lines(why, lp_problem, pf);
		localpolicy_release(lp);
	}
	if ((fw = forwarders_parse(cfg->trusted_forwarders, why,
	    sizeof(why))) == NULL)
		problem(pf, "TrustedForwarders: %s", why);
	forwarders_free(fw);
	if (cfg->discovery == DISCOVERY_PSL) {
		if ((psl = psl_load_file(cfg->psl_file)) == NULL)
			problem(pf, "PublicSuffixList %s: cannot load it (%s)",
			    cfg->psl_file, access(cfg->psl_file, R_OK) < 0 ?
			    strerror(errno) : "not a public suffix list");
		psl_free(psl);
	}
}

static void check_trust_anchor(preflight_t *pf, const config_t *cfg)
{
	struct stat st;
	int fd;

	if (!cfg->dnssec || cfg->trust_anchor[0] == '\0')
		return;
	if ((fd = open(cfg->trust_anchor, O_RDONLY | O_CLOEXEC)) < 0) {
		problem(pf, "TrustAnchorFile %s: %s", cfg->trust_anchor,
		    strerror(errno));
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
		problem(pf, "TrustAnchorFile %s: not a non-empty regular file",
		    cfg->trust_anchor);
	close(fd);
}

unsigned preflight_check(const config_t *cfg, const char *sock,
    preflight_mode_t mode, preflight_report_fn report, void *ctx)
{
	preflight_t pf = { .report = report, .ctx = ctx };

	check_user(&pf, cfg, mode);
	check_chroot(&pf, cfg);
	check_socket(&pf, cfg, sock, mode);
	check_lists(&pf, cfg);
	check_trust_anchor(&pf, cfg);
	check_history(&pf, cfg);
	check_dir(&pf, cfg, "StatsFile", cfg->stats_file, true, true);
	check_dir(&pf, cfg, "PidFile", cfg->pid_file, false, false);
	return pf.problems;
}
