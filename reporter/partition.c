/*
 * partition - hash partitioning through compressed temporary files.  See
 * partition.h.
 */
#include "partition.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "../util/strbuf.h"
#include "aggregate.h"

#define PART_BUF (32 * 1024)

struct partition {
	unsigned n;
	struct part {
		int fd;              /* the unlinked file */
		gzFile w;            /* writing (a dup of fd), or NULL */
	} p[];
};

/* An anonymous file in dir: O_TMPFILE, else a name unlinked at once. */
static int anon_file(const char *dir)
{
	char path[4096];
	int fd;

	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) >= 0)
		return fd;
	if (str_format(path, sizeof(path), "%s/.dmarcwarden-report.XXXXXX",
	    dir) < 0)
		return -1;
	if ((fd = mkostemp(path, O_CLOEXEC)) >= 0)
		unlink(path);
	return fd;
}

static gzFile open_gz(int fd, const char *mode)
{
	int d = dup(fd);
	gzFile g = d >= 0 ? gzdopen(d, mode) : NULL;

	if (g == NULL) {
		if (d >= 0)
			close(d);
		return NULL;
	}
	gzbuffer(g, PART_BUF);
	return g;
}

partition_t *partition_new(unsigned nparts, const char *dir, char *err,
    size_t errlen)
{
	partition_t *p;
	const char *tmp = getenv("TMPDIR");

	if (dir == NULL || *dir == '\0')
		dir = tmp && *tmp ? tmp : "/tmp";
	if (nparts < 1)
		nparts = 1;
	if (nparts > PARTITION_MAX)
		nparts = PARTITION_MAX;
	if ((p = calloc(1, sizeof(*p) + nparts * sizeof(p->p[0]))) == NULL)
		abort();
	for (p->n = 0; p->n < nparts; p->n++) {
		struct part *q = &p->p[p->n];

		if ((q->fd = anon_file(dir)) < 0 ||
		    (q->w = open_gz(q->fd, "wb1")) == NULL) {
			str_format(err, errlen, "temporary file in %s: %s", dir,
			    strerror(errno ? errno : ENOMEM));
			if (q->fd >= 0)
				close(q->fd);
			partition_free(p);
			return NULL;
		}
	}
	return p;
}

void partition_free(partition_t *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < p->n; i++) {
		if (p->p[i].w)
			gzclose(p->p[i].w);
		close(p->p[i].fd);
	}
	free(p);
}

unsigned partition_count(const partition_t *p)
{
	return p->n;
}

unsigned long long partition_bytes(const partition_t *p)
{
	unsigned long long n = 0;
	struct stat st;

	for (unsigned i = 0; i < p->n; i++)
		if (fstat(p->p[i].fd, &st) == 0)
			n += (unsigned long long)st.st_size;
	return n;
}

static unsigned part_of(const partition_t *p, const char *domain)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *domain; domain++) {
		h ^= (unsigned char)*domain;
		h *= 1099511628211ULL;
	}
	return (unsigned)(h % p->n);
}

int partition_put(partition_t *p, const char *domain, const char *key)
{
	size_t dl = strlen(domain), kl = strlen(key);
	unsigned char hdr[5];
	gzFile w;

	if (dl > 255 || kl > AGG_KEY_MAX)
		return -1;
	if ((w = p->p[part_of(p, domain)].w) == NULL)
		return -1;              /* already read back */
	hdr[0] = (unsigned char)dl;
	hdr[1] = (unsigned char)(kl >> 24);
	hdr[2] = (unsigned char)(kl >> 16);
	hdr[3] = (unsigned char)(kl >> 8);
	hdr[4] = (unsigned char)kl;
	if (gzwrite(w, hdr, 5) != 5 || gzwrite(w, domain, (unsigned)dl) !=
	    (int)dl || gzwrite(w, key, (unsigned)kl) != (int)kl)
		return -1;
	return 0;
}

static int read_all(gzFile r, partition_fn fn, void *ctx)
{
	char domain[256];
	unsigned char hdr[5];
	size_t kl;
	char *key;
	int n;

	while ((n = gzread(r, hdr, 5)) == 5) {
		kl = (size_t)hdr[1] << 24 | (size_t)hdr[2] << 16 |
		    (size_t)hdr[3] << 8 | hdr[4];
		if (kl > AGG_KEY_MAX || (key = malloc(kl + 1)) == NULL)
			return -1;
		if (gzread(r, domain, hdr[0]) != (int)hdr[0] ||
		    gzread(r, key, (unsigned)kl) != (int)kl) {
			free(key);
			return -1;
		}
		domain[hdr[0]] = '\0';
		key[kl] = '\0';
		if (fn(ctx, domain, key) < 0)
			return -1;
	}
	return n == 0 ? 0 : -1;
}

int partition_read(partition_t *p, unsigned i, partition_fn fn, void *ctx)
{
	struct part *q;
	gzFile r;
	int rc;

	if (i >= p->n)
		return -1;
	q = &p->p[i];
	if (q->w == NULL)
		return -1;              /* a partition is read once */
	rc = gzclose(q->w);
	q->w = NULL;
	if (rc != Z_OK || lseek(q->fd, 0, SEEK_SET) != 0 ||
	    (r = open_gz(q->fd, "rb")) == NULL)
		return -1;
	rc = read_all(r, fn, ctx);
	gzclose(r);
	/* The partition is done with: give its blocks back at once. */
	if (ftruncate(q->fd, 0) != 0)
		rc = -1;
	return rc;
}
