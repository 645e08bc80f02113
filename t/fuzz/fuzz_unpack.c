/*
 * fuzz_unpack - the containers around received reports, as the policy
 * tool's ingest opens them (policy/tool/unpack.h, mime.h): whatever
 * unpack_kind() says the bytes are, gzip streams, zip archives and MIME
 * emails are opened recursively, at most FUZZ_NESTING deep, under one
 * decompression budget, like ingest.c does for one input file.
 *
 * Input: one file.  Checks: every member or attachment is within the
 * caps (its size at most the per-report cap, never more members or bytes
 * than the budget allowed), member names are printable, errors are
 * printable and non-empty, and the budget only shrinks.
 */
#include "../../policy/tool/mime.h"
#include "../../policy/tool/unpack.h"
#include "fuzz.h"

#define FUZZ_MAX_XML (256 * 1024)
#define FUZZ_NESTING 4

typedef struct walk {
	unpack_budget_t budget;
	int depth;
} walk_t;

static void check_text(const char *s, size_t max)
{
	FUZZ_CHECK(strnlen(s, max) < max);
	for (; *s; s++)
		FUZZ_CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
}

static void open_blob(walk_t *w, const char *data, size_t len);

static int member(void *ctx, const char *name, const char *data, size_t len)
{
	walk_t *w = ctx;

	check_text(name, UNPACK_NAME_MAX);
	FUZZ_CHECK(len <= FUZZ_MAX_XML);
	open_blob(w, data, len);
	return 0;
}

static void check_err(const char *err, size_t size)
{
	check_text(err, size);
	FUZZ_CHECK(err[0] != '\0');
}

static void open_blob(walk_t *w, const char *data, size_t len)
{
	size_t before = w->budget.bytes, members = w->budget.members;
	char err[UNPACK_ERR_MAX];
	strbuf_t out;

	if (w->depth >= FUZZ_NESTING)
		return;
	w->depth++;
	switch (unpack_kind(data, len)) {
	case UNPACK_GZIP:
		strbuf_init(&out, FUZZ_MAX_XML);
		if (unpack_gunzip(data, len, &out, err, sizeof(err)) < 0)
			check_err(err, sizeof(err));
		else
			member(w, "gzip", strbuf_str(&out), out.len);
		FUZZ_CHECK(out.len <= FUZZ_MAX_XML);
		strbuf_free(&out);
		break;
	case UNPACK_ZIP:
		memset(err, 'x', sizeof(err));
		if (unpack_zip(data, len, FUZZ_MAX_XML, &w->budget, member, w,
		    err, sizeof(err)) < 0)
			check_err(err, sizeof(err));
		break;
	case UNPACK_EMAIL:
	case UNPACK_MBOX:
		if (mime_reports(data, len, FUZZ_MAX_XML, member, w, err,
		    sizeof(err)) < 0)
			check_err(err, sizeof(err));
		break;
	default:
		break;
	}
	FUZZ_CHECK(w->budget.bytes <= before && w->budget.members <= members);
	w->depth--;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	walk_t w = { { 4 * FUZZ_MAX_XML, 64 }, 0 };

	open_blob(&w, (const char *)data, size);
	return 0;
}
