/*
 * spool_dir - spool files in a directory.  See spool_dir.h.
 */
#include "spool_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/log.h"

#define SPOOL_SUFFIX ".spool"

static bool is_spool_name(const char *name)
{
	size_t n = strlen(name), s = sizeof(SPOOL_SUFFIX) - 1;

	return name[0] != '.' && n > s && strcmp(name + n - s,
	    SPOOL_SUFFIX) == 0;
}

static bool is_tmp_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] == '.' && n > 4 && strcmp(name + n - 4, ".tmp") == 0;
}

/* Sum the spool files' sizes; remove stale temporary files when asked. */
static void spool_scan(spool_dir_t *sd, bool clean)
{
	char path[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if ((d = opendir(sd->dir)) == NULL)
		return;
	sd->used = 0;
	while ((de = readdir(d)) != NULL) {
		if (str_format(path, sizeof(path), "%s/%s", sd->dir,
		    de->d_name) < 0 || stat(path, &st) != 0)
			continue;
		if (is_spool_name(de->d_name))
			sd->used += (unsigned long long)st.st_size;
		else if (clean && is_tmp_name(de->d_name) &&
		    st.st_mtime + SPOOL_TMP_STALE_S < time(NULL))
			unlink(path);
	}
	closedir(d);
	sd->scanned = time(NULL);
}

int spool_dir_init(spool_dir_t *sd, const char *dir, unsigned long long max,
    const char *instance)
{
	memset(sd, 0, sizeof(*sd));
	if ((sd->dir = strdup(dir)) == NULL)
		return -1;
	sd->max = max;
	str_copy(sd->instance, sizeof(sd->instance), instance);
	spool_scan(sd, true);
	return 0;
}

void spool_dir_free(spool_dir_t *sd)
{
	free(sd->dir);
	sd->dir = NULL;
}

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* tmp + fsync + rename: a reader never sees a partial file. */
static int spool_write_file(spool_dir_t *sd, const strbuf_t *sb, char *err,
    size_t errlen)
{
	char name[128], tmp[4096], path[4096];
	struct timespec now;
	int fd;

	clock_gettime(CLOCK_REALTIME, &now);
	str_format(name, sizeof(name), "%016llx-%s-%llu" SPOOL_SUFFIX,
	    (unsigned long long)now.tv_sec * 1000000000ULL +
	    (unsigned long long)now.tv_nsec, sd->instance, ++sd->seq);
	if (str_format(tmp, sizeof(tmp), "%s/.%s.tmp", sd->dir, name) < 0 ||
	    str_format(path, sizeof(path), "%s/%s", sd->dir, name) < 0) {
		str_format(err, errlen, "spool directory name too long");
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, sb->s, sb->len) < 0 || fsync(fd) < 0 ||
	    close(fd) < 0 || rename(tmp, path) < 0) {
		str_format(err, errlen, "%s: %s", fd < 0 ? tmp : path,
		    strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return -1;
	}
	fsync_dir(sd->dir);
	return 0;
}

int spool_dir_put(spool_dir_t *sd, const hrec_t *recs, size_t n, char *err,
    size_t errlen)
{
	strbuf_t sb;
	int rc;

	strbuf_init(&sb, SPOOL_FILE_MAX);
	if (spool_encode(&sb, recs, n) < 0) {
		strbuf_free(&sb);
		str_format(err, errlen, "batch too big for a spool file");
		return -1;
	}
	if (sd->scanned == 0 || time(NULL) - sd->scanned >= SPOOL_SCAN_S)
		spool_scan(sd, false);
	if (sd->used + sb.len > sd->max) {
		str_format(err, errlen, "spool %s full: %llu bytes used, "
		    "HistorySpoolMax %llu", sd->dir, sd->used, sd->max);
		strbuf_free(&sb);
		return -2;
	}
	rc = spool_write_file(sd, &sb, err, errlen);
	if (rc == 0)
		sd->used += sb.len;
	strbuf_free(&sb);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int spool_dir_list(spool_dir_t *sd, char ***names, size_t *n)
{
	struct dirent *de;
	size_t cap = 0;
	char **v = NULL, **nv;
	DIR *d;

	*names = NULL;
	*n = 0;
	if ((d = opendir(sd->dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (!is_spool_name(de->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				break;
			v = nv;
		}
		if ((v[*n] = strdup(de->d_name)) == NULL)
			break;
		(*n)++;
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), name_cmp);
	*names = v;
	return 0;
}

void spool_dir_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static unsigned char *read_fd(int fd, size_t size)
{
	unsigned char *buf = malloc(size > 0 ? size : 1);
	size_t got = 0;
	ssize_t r;

	while (buf != NULL && got < size) {
		r = read(fd, buf + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			return NULL;
		}
		got += (size_t)r;
	}
	return buf;
}

static void move_aside(spool_dir_t *sd, const char *path, const char *why)
{
	char bad[4096];

	str_format(bad, sizeof(bad), "%s.bad", path);
	if (rename(path, bad) == 0)
		log_err("history: spool file %s is corrupt (%s): moved aside "
		    "to %s, its rows are NOT replayed", path, why, bad);
	else
		log_err("history: spool file %s is corrupt (%s) and cannot "
		    "be moved aside: %s", path, why, strerror(errno));
	sd->scanned = 0;
}

/* Read, check and hand over a locked file; see spool_dir_replay(). */
static int replay_locked(spool_dir_t *sd, const char *path, int fd,
    spool_replay_fn fn, void *ctx, size_t *nrows)
{
	char err[256];
	spool_batch_t b;
	unsigned char *buf;
	struct stat st;
	int rc;

	if (fstat(fd, &st) != 0 || st.st_nlink == 0)
		return 0;               /* replayed by someone else */
	if (st.st_size > SPOOL_FILE_MAX) {
		move_aside(sd, path, "too big");
		return -2;
	}
	if ((buf = read_fd(fd, (size_t)st.st_size)) == NULL) {
		log_err("history: spool file %s: %s", path, strerror(errno));
		return -1;
	}
	rc = spool_decode(buf, (size_t)st.st_size, &b, err, sizeof(err));
	free(buf);
	if (rc < 0) {
		move_aside(sd, path, err);
		return -2;
	}
	if (fn(ctx, &b) != 0) {
		spool_batch_free(&b);
		return -1;
	}
	*nrows = b.n;
	spool_batch_free(&b);
	if (unlink(path) != 0)
		log_err("history: spool file %s replayed but cannot be "
		    "removed: %s", path, strerror(errno));
	if (sd->used >= (unsigned long long)st.st_size)
		sd->used -= (unsigned long long)st.st_size;
	return 1;
}

int spool_dir_replay(spool_dir_t *sd, const char *name, spool_replay_fn fn,
    void *ctx, size_t *nrows)
{
	char path[4096];
	int fd, rc;

	*nrows = 0;
	if (str_format(path, sizeof(path), "%s/%s", sd->dir, name) < 0)
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return 0;
	}
	rc = replay_locked(sd, path, fd, fn, ctx, nrows);
	close(fd);
	return rc;
}
