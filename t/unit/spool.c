/* Unit tests for history/spool (the spool file format), history/spool_dir
 * (files in the spool directory) and hrec_utf8_clean(): a round trip
 * keeps every value and NULL; truncated, extended, bit-flipped and
 * crafted files (valid checksums, bad contents) are refused with a
 * reason; a corrupt file is moved aside; a locked file is skipped; the
 * size bound is kept. */
#include "../../history/history_rec.h"
#include "../../history/spool.h"
#include "../../history/spool_dir.h"
#include "../../util/log.h"
#include "../../util/strbuf.h"
#include "../tap.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[256];

/* A record with every kind of field: NULLs, children, a sample. */
static void make_rec(hrec_t *r, int i)
{
	static char uid[8][32];

	memset(r, 0, sizeof(*r));
	for (int k = 0; k < HREC_MSG_COLS; k++)
		r->msg[k] = (k % 7 == 3) ? NULL : (k % 2 ? "example.com" : "");
	str_format(uid[i % 8], sizeof(uid[0]), "00000000000000ab-%d", i);
	r->msg[HREC_ROW_UID] = uid[i % 8];
	r->msg[HREC_TIME] = "1700000000";
	r->nrcpt = (unsigned)(i % 3);
	for (unsigned k = 0; k < r->nrcpt; k++)
		r->rcpt[k] = "rcpt.example";
	r->ndkim = (unsigned)(i % 2);
	for (unsigned k = 0; k < r->ndkim; k++) {
		r->dkim[k][HREC_DKIM_DOMAIN] = "d.example";
		r->dkim[k][HREC_DKIM_SELECTOR] = "sel";
		r->dkim[k][HREC_DKIM_RESULT] = "pass";
		r->dkim[k][HREC_DKIM_ALIGNED_COL] = "1";
		r->dkim[k][HREC_DKIM_HUMAN] = "";
	}
	r->nover = i == 2 ? EVAL_MAX_OVERRIDES : 0;
	for (unsigned k = 0; k < r->nover; k++) {
		r->over[k][HREC_OVER_REASON] = "local_policy";
		r->over[k][HREC_OVER_COMMENT] = "\xc3\xa9t\xc3\xa9";
	}
	r->has_sample = i == 1;
	if (r->has_sample)
		for (int k = 0; k < HREC_SAMPLE_COLS; k++)
			r->sample[k] = "Subject: x\r\n";
}

static bool same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static bool same_rec(const hrec_t *a, const hrec_t *b)
{
	bool same = a->nrcpt == b->nrcpt && a->ndkim == b->ndkim &&
	    a->nover == b->nover && a->has_sample == b->has_sample;

	for (int k = 0; same && k < HREC_MSG_COLS; k++)
		same = same_str(a->msg[k], b->msg[k]);
	for (unsigned k = 0; same && k < a->nrcpt; k++)
		same = same_str(a->rcpt[k], b->rcpt[k]);
	for (unsigned k = 0; same && k < a->ndkim; k++)
		for (int c = 0; same && c < HREC_DKIM_COLS; c++)
			same = same_str(a->dkim[k][c], b->dkim[k][c]);
	for (unsigned k = 0; same && k < a->nover; k++)
		for (int c = 0; same && c < HREC_OVER_COLS; c++)
			same = same_str(a->over[k][c], b->over[k][c]);
	for (int c = 0; same && a->has_sample && c < HREC_SAMPLE_COLS; c++)
		same = same_str(a->sample[c], b->sample[c]);
	return same;
}

static void encode3(strbuf_t *sb, hrec_t *recs)
{
	for (int i = 0; i < 3; i++)
		make_rec(&recs[i], i);
	strbuf_init(sb, SPOOL_FILE_MAX);
	spool_encode(sb, recs, 3);
}

static void test_round_trip(void)
{
	char err[256];
	hrec_t recs[3];
	spool_batch_t b;
	strbuf_t sb;

	encode3(&sb, recs);
	ok(!sb.truncated && sb.len > SPOOL_HEADER_LEN, "encoded 3 records "
	    "(%zu bytes)", sb.len);
	ok(memcmp(sb.s, SPOOL_MAGIC, SPOOL_MAGIC_LEN) == 0, "magic first");
	is_int(spool_decode((unsigned char *)sb.s, sb.len, &b, err,
	    sizeof(err)), 0, "decodes");
	is_int(b.n, 3, "3 records back");
	for (size_t i = 0; i < b.n && i < 3; i++)
		ok(same_rec(&recs[i], &b.recs[i]), "record %zu: every value "
		    "and NULL kept", i);
	spool_batch_free(&b);
	spool_batch_free(&b);           /* twice is fine */
	strbuf_reset(&sb);
	is_int(spool_encode(&sb, recs, 0), 0, "empty batch encodes");
	is_int(spool_decode((unsigned char *)sb.s, sb.len, &b, err,
	    sizeof(err)), 0, "empty batch decodes");
	is_int(b.n, 0, "no records");
	spool_batch_free(&b);
	strbuf_free(&sb);
}

/* Every shorter file, a longer one, and every single-byte change is
 * refused with a reason (CRCs, lengths, magic). */
static void test_damaged(void)
{
	char err[256];
	hrec_t recs[3];
	spool_batch_t b;
	strbuf_t sb;
	unsigned char *copy;
	size_t bad_trunc = 0, bad_flip = 0, noreason = 0;

	encode3(&sb, recs);
	copy = malloc(sb.len + 1);
	for (size_t n = 0; n < sb.len; n++) {
		err[0] = '\0';
		memcpy(copy, sb.s, n);
		if (spool_decode(copy, n, &b, err, sizeof(err)) == 0)
			bad_trunc++;
		noreason += err[0] == '\0';
		spool_batch_free(&b);
	}
	is_int(bad_trunc, 0, "all %zu truncations refused", sb.len);
	memcpy(copy, sb.s, sb.len);
	copy[sb.len] = 0;
	ok(spool_decode(copy, sb.len + 1, &b, err, sizeof(err)) < 0 &&
	    strstr(err, "truncated or extended"), "extended file refused: %s",
	    err);
	for (size_t i = 0; i < sb.len; i++) {
		memcpy(copy, sb.s, sb.len);
		copy[i] ^= (unsigned char)(1u << (i % 8));
		err[0] = '\0';
		if (spool_decode(copy, sb.len, &b, err, sizeof(err)) == 0)
			bad_flip++;
		noreason += err[0] == '\0';
		spool_batch_free(&b);
	}
	is_int(bad_flip, 0, "all %zu single-bit flips refused", sb.len);
	is_int(noreason, 0, "every refusal says why");
	memcpy(copy, sb.s, sb.len);
	copy[8] = 2;                    /* version 2, header crc fixed */
	{
		uint32_t c = (uint32_t)crc32(0, copy, 24);

		copy[24] = (unsigned char)c;
		copy[25] = (unsigned char)(c >> 8);
		copy[26] = (unsigned char)(c >> 16);
		copy[27] = (unsigned char)(c >> 24);
	}
	ok(spool_decode(copy, sb.len, &b, err, sizeof(err)) < 0 &&
	    strstr(err, "version 2"), "another version refused: %s", err);
	free(copy);
	strbuf_free(&sb);
}

static void put32(strbuf_t *sb, uint32_t v)
{
	char b[4] = { (char)v, (char)(v >> 8), (char)(v >> 16),
		(char)(v >> 24) };

	strbuf_append(sb, b, 4);
}

/* A file of one record whose payload is given, every checksum right. */
static void craft(strbuf_t *f, const strbuf_t *payload)
{
	strbuf_init(f, SPOOL_FILE_MAX);
	strbuf_append(f, SPOOL_MAGIC, SPOOL_MAGIC_LEN);
	put32(f, SPOOL_VERSION);
	put32(f, 1);
	put32(f, (uint32_t)(8 + payload->len));
	put32(f, 0);
	put32(f, (uint32_t)crc32(0, (const unsigned char *)f->s, 24));
	put32(f, (uint32_t)payload->len);
	put32(f, (uint32_t)crc32(0, (const unsigned char *)payload->s,
	    (uInt)payload->len));
	strbuf_append(f, payload->s, payload->len);
}

/* The payload of a minimal record; one word replaced when asked. */
static void payload(strbuf_t *p, int word, uint32_t value, bool nul)
{
	int w = 0;

	strbuf_init(p, 65536);
	for (int k = 0; k < HREC_MSG_COLS; k++, w++) {
		put32(p, w == word ? value : (nul && k == 1 ? 3 : 0));
		if (nul && k == 1 && w != word)
			strbuf_append(p, "a\0b", 3);
	}
	for (int k = 0; k < 4; k++, w++)
		put32(p, w == word ? value : 0);
}

static void check_crafted(const char *what, int word, uint32_t value,
    bool nul, const char *want)
{
	char err[256] = "";
	spool_batch_t b;
	strbuf_t p, f;

	payload(&p, word, value, nul);
	craft(&f, &p);
	ok(spool_decode((unsigned char *)f.s, f.len, &b, err, sizeof(err)) <
	    0 && strstr(err, want) != NULL, "%s refused: %s", what, err);
	spool_batch_free(&b);
	strbuf_free(&p);
	strbuf_free(&f);
}

static void test_crafted(void)
{
	char err[256];
	spool_batch_t b;
	strbuf_t p, f;

	payload(&p, -1, 0, false);
	craft(&f, &p);
	is_int(spool_decode((unsigned char *)f.s, f.len, &b, err,
	    sizeof(err)), 0, "crafted minimal record decodes");
	ok(b.n == 1 && b.recs[0].msg[0] && b.recs[0].msg[0][0] == '\0',
	    "its fields are empty strings");
	spool_batch_free(&b);
	strbuf_free(&p);
	strbuf_free(&f);
	check_crafted("9 recipient domains", HREC_MSG_COLS, 9, false,
	    "count out of range");
	check_crafted("33 DKIM signatures", HREC_MSG_COLS + 1, 33, false,
	    "count out of range");
	check_crafted("has_sample 2", HREC_MSG_COLS + 3, 2, false,
	    "count out of range");
	check_crafted("a field past the end", 5, 1000, false,
	    "field length out of range");
	check_crafted("a huge field", 5, 0x7fffffff, false,
	    "field length out of range");
	check_crafted("a NUL in a field", -1, 0, true, "NUL byte");
	check_crafted("a count past the end", HREC_MSG_COLS, 1, false,
	    "truncated");
}

static void test_utf8(void)
{
	char s[] = "ok \xc3\xa9 \xff\xfe \xe2\x82 \xed\xa0\x80 \xf4\x90\x80\x80"
	    " \xf0\x9f\x98\x80 \xc0\xaf";

	hrec_utf8_clean(s, sizeof(s) - 1);
	is_str(s, "ok \xc3\xa9 ?? ?? ??? ???? \xf0\x9f\x98\x80 ??",
	    "invalid UTF-8 bytes become '?', valid sequences stay");
}

/* ---- the directory ------------------------------------------------- */

static int replay_ok(void *ctx, const spool_batch_t *b)
{
	*(size_t *)ctx += b->n;
	return 0;
}

static int replay_fail(void *ctx, const spool_batch_t *b)
{
	(void)ctx;
	(void)b;
	return -1;
}

static size_t count_suffix(const char *dir, const char *suffix)
{
	struct dirent *de;
	size_t n = 0, s = strlen(suffix);
	DIR *d = opendir(dir);

	while (d && (de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		n += l > s && strcmp(de->d_name + l - s, suffix) == 0;
	}
	if (d)
		closedir(d);
	return n;
}

static void test_dir(void)
{
	char err[256], path[512];
	char **names;
	size_t n, nrows, seen = 0;
	spool_dir_t sd, small;
	hrec_t recs[3];
	int fd;

	for (int i = 0; i < 3; i++)
		make_rec(&recs[i], i);
	spool_dir_init(&sd, tmpdir, 1 << 20, "00000000000000ab");
	is_int(spool_dir_put(&sd, recs, 3, err, sizeof(err)), 0, "put 1");
	is_int(spool_dir_put(&sd, recs, 2, err, sizeof(err)), 0, "put 2");
	is_int(spool_dir_put(&sd, recs, 1, err, sizeof(err)), 0, "put 3");
	is_int(count_suffix(tmpdir, ".tmp"), 0, "no temporary file left");
	spool_dir_list(&sd, &names, &n);
	is_int(n, 3, "3 spool files listed");
	ok(n == 3 && strcmp(names[0], names[1]) < 0 &&
	    strcmp(names[1], names[2]) < 0, "oldest first");
	/* Held by another process: skipped. */
	str_format(path, sizeof(path), "%s/%s", tmpdir, names[0]);
	fd = open(path, O_RDONLY);
	flock(fd, LOCK_EX);
	{
		pid_t pid = fork();

		if (pid == 0)
			_exit(spool_dir_replay(&sd, names[0], replay_ok, &seen,
			    &nrows) == 0 ? 0 : 1);
		int st = -1;

		waitpid(pid, &st, 0);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "a file locked elsewhere is skipped");
	}
	close(fd);
	is_int(spool_dir_replay(&sd, names[0], replay_fail, NULL, &nrows), -1,
	    "failed replay returns -1");
	ok(access(path, F_OK) == 0, "and keeps the file");
	is_int(spool_dir_replay(&sd, names[0], replay_ok, &seen, &nrows), 1,
	    "replayed");
	is_int(nrows, 3, "its 3 rows");
	ok(access(path, F_OK) != 0, "file deleted after the commit");
	is_int(spool_dir_replay(&sd, names[0], replay_ok, &seen, &nrows), 0,
	    "a vanished file is skipped");
	/* Corrupt: moved aside, never retried. */
	str_format(path, sizeof(path), "%s/%s", tmpdir, names[1]);
	truncate(path, 40);
	is_int(spool_dir_replay(&sd, names[1], replay_ok, &seen, &nrows), -2,
	    "corrupt file: -2");
	is_int(count_suffix(tmpdir, ".bad"), 1, "moved aside to .bad");
	is_int(seen, 3, "no rows of the corrupt file handed over");
	spool_dir_names_free(names, n);
	spool_dir_list(&sd, &names, &n);
	is_int(n, 1, "one spool file left");
	spool_dir_names_free(names, n);
	/* The bound, counted from the directory. */
	spool_dir_init(&small, tmpdir, 1 << 20, "00000000000000cd");
	small.max = small.used + 10;
	is_int(spool_dir_put(&small, recs, 3, err, sizeof(err)), -2,
	    "past HistorySpoolMax: refused");
	ok(strstr(err, "full") != NULL, "saying so: %s", err);
	spool_dir_free(&small);
	spool_dir_free(&sd);
}

int main(void)
{
	char tmpl[] = "/tmp/dw-spool-XXXXXX";

	log_open("spool-test", false, "mail", false);
	if (mkdtemp(tmpl) == NULL)
		return 1;
	str_copy(tmpdir, sizeof(tmpdir), tmpl);
	test_round_trip();
	test_damaged();
	test_crafted();
	test_utf8();
	test_dir();
	{
		char cmd[300];

		str_format(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			diag("cannot remove %s", tmpdir);
	}
	return tap_done();
}
