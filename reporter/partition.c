/*
 * partition - hash partitioning through temporary files.  See
 * partition.h.
 */
#include "partition.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../policy/strbuf.h"
#include "aggregate.h"

#define PART_BUF (64 * 1024)

struct partition {
	unsigned n;
	FILE *fp[];
};

partition_t *partition_new(unsigned nparts, char *err, size_t errlen)
{
	partition_t *p;

	if (nparts < 1)
		nparts = 1;
	if (nparts > PARTITION_MAX)
		nparts = PARTITION_MAX;
	if ((p = calloc(1, sizeof(*p) + nparts * sizeof(FILE *))) == NULL)
		abort();
	for (p->n = 0; p->n < nparts; p->n++) {
		if ((p->fp[p->n] = tmpfile()) == NULL) {
			str_format(err, errlen, "temporary file: %s",
			    strerror(errno));
			partition_free(p);
			return NULL;
		}
		setvbuf(p->fp[p->n], NULL, _IOFBF, PART_BUF);
	}
	return p;
}

void partition_free(partition_t *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < p->n; i++)
		fclose(p->fp[i]);
	free(p);
}

unsigned partition_count(const partition_t *p)
{
	return p->n;
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
	FILE *fp;

	if (dl > 255 || kl > AGG_KEY_MAX)
		return -1;
	fp = p->fp[part_of(p, domain)];
	hdr[0] = (unsigned char)dl;
	hdr[1] = (unsigned char)(kl >> 24);
	hdr[2] = (unsigned char)(kl >> 16);
	hdr[3] = (unsigned char)(kl >> 8);
	hdr[4] = (unsigned char)kl;
	if (fwrite(hdr, 1, 5, fp) != 5 || fwrite(domain, 1, dl, fp) != dl ||
	    fwrite(key, 1, kl, fp) != kl)
		return -1;
	return 0;
}

int partition_read(partition_t *p, unsigned i, partition_fn fn, void *ctx)
{
	char domain[256];
	unsigned char hdr[5];
	size_t kl;
	char *key;
	FILE *fp;

	if (i >= p->n)
		return -1;
	fp = p->fp[i];
	if (fflush(fp) != 0 || fseek(fp, 0, SEEK_SET) != 0)
		return -1;
	while (fread(hdr, 1, 5, fp) == 5) {
		kl = (size_t)hdr[1] << 24 | (size_t)hdr[2] << 16 |
		    (size_t)hdr[3] << 8 | hdr[4];
		if (kl > AGG_KEY_MAX || (key = malloc(kl + 1)) == NULL)
			return -1;
		if (fread(domain, 1, hdr[0], fp) != hdr[0] ||
		    fread(key, 1, kl, fp) != kl) {
			free(key);
			return -1;
		}
		domain[hdr[0]] = '\0';
		key[kl] = '\0';
		if (fn(ctx, domain, key) < 0)
			return -1;
	}
	return ferror(fp) ? -1 : 0;
}
