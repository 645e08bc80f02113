/*
 * standalone - run a libFuzzer target without libFuzzer (regression runs).
 *
 * SYNOPSIS
 *	t/fuzz/bin/fuzz_NAME FILE|DIR ...
 *
 * DESCRIPTION
 *	Linked with one target's LLVMFuzzerTestOneInput() and built with the
 *	normal toolchain (and the sanitizers of a --enable-asan build), it
 *	feeds every FILE, and every regular file in each DIR (sorted), to the
 *	target once.  Before each input it prints "run PATH" on stdout, so a
 *	crash names its input; at the end "done N" with the count.  Exits 1
 *	when an input cannot be read.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../util/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long ran;

static int run_file(const char *path)
{
	struct stat st;
	uint8_t *buf;
	size_t n;
	FILE *fp;

	printf("run %s\n", path);
	fflush(stdout);
	fp = fopen(path, "rb");
	if (fp == NULL || fstat(fileno(fp), &st) < 0) {
		fprintf(stderr, "cannot read %s\n", path);
		if (fp)
			fclose(fp);
		return -1;
	}
	/* +1: the target must never rely on a terminator, but malloc(0) may
	 * return NULL. */
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		abort();
	n = fread(buf, 1, (size_t)st.st_size, fp);
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	ran++;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir)
{
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	struct stat st;
	int rc = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (names == NULL)
				abort();
		}
		names[n] = strdup(de->d_name);
		if (names[n++] == NULL)
			abort();
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		if (str_format(path, sizeof(path), "%s/%s", dir, names[i]) >= 0
		    && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    run_file(path) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	struct stat st;
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i]) < 0)
				rc = 1;
		} else if (run_file(argv[i]) < 0) {
			rc = 1;
		}
	}
	printf("done %lu\n", ran);
	return rc;
}
