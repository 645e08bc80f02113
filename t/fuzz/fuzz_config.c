/*
 * fuzz_config - dmarcwarden.conf parser (conf/config.h
 * config_load_buffer) and the reply text expansion (decide_expand).
 *
 * Input: the text of a configuration file (no terminator).  Checks: a
 * refused file has a terminated error "NAME:LINE: ..." or "NAME: ...";
 * an accepted one has every string field set, dumps (config_dump) to
 * text that loads again and dumps identically (unless the dump has a
 * line over CONFIG_LINE_MAX), and its RejectText and
 * BadFromText expand without overflow.  With no AuthservID in the input
 * one is supplied, so the host name lookup does not slow every run.
 */
#include <strings.h>

#include "../../conf/config.h"
#include "../../conf/config_check.h"
#include "../../milter/decide.h"
#include "fuzz.h"

static char *dump(const config_t *cfg, size_t *len)
{
	char *text = NULL;
	FILE *fp = open_memstream(&text, len);

	FUZZ_CHECK(fp != NULL);
	config_dump(cfg, fp);
	fclose(fp);
	return text;
}

static size_t longest_line(const char *t, size_t n)
{
	size_t i, cur = 0, max = 0;

	for (i = 0; i < n; i++) {
		cur = t[i] == '\n' ? 0 : cur + 1;
		if (cur > max)
			max = cur;
	}
	return max;
}

static void check_loaded(config_t *cfg)
{
	char err[CONFIG_ERR_MAX], out[DECIDE_TEXT_MAX];
	config_t *again;
	char *t1, *t2;
	size_t n1, n2;

	FUZZ_CHECK(cfg->socket && cfg->authserv_id && cfg->history_db &&
	    cfg->nameservers && cfg->reject_text && cfg->bad_from_text &&
	    cfg->quarantine_header && cfg->user && cfg->pid_file);
	FUZZ_CHECK(cfg->ignore_sender_domains && cfg->ignore_recipient_domains);
	decide_expand(cfg->reject_text, "example.com", out, sizeof(out));
	FUZZ_CHECK(strnlen(out, sizeof(out)) < sizeof(out));
	decide_expand(cfg->bad_from_text, "", out, sizeof(out));
	FUZZ_CHECK(strnlen(out, sizeof(out)) < sizeof(out));
	t1 = dump(cfg, &n1);
	/* The dump re-spaces lists ("a,b" -> "a, b"): a line near the limit
	 * can outgrow CONFIG_LINE_MAX, which config_dump() does not promise
	 * to respect. */
	if (longest_line(t1, n1) >= CONFIG_LINE_MAX) {
		free(t1);
		return;
	}
	again = config_load_buffer("dump", t1, n1, err, sizeof(err));
	if (again == NULL) {
		fprintf(stderr, "dump does not load: %s\n%s", err, t1);
		FUZZ_CHECK(!"config_dump output loads");
	}
	t2 = dump(again, &n2);
	if (n1 != n2 || memcmp(t1, t2, n1) != 0) {
		fprintf(stderr, "first:\n%s\nsecond:\n%s", t1, t2);
		FUZZ_CHECK(!"config_dump is stable");
	}
	free(t1);
	free(t2);
	config_free(again);
}

/* Every bad line: one "fuzz.conf:..." line each, at most
 * CONFIG_ERR_LINES, then maybe a last "... and N more". */
static void check_errors(const char *err)
{
	const char *p = err;
	unsigned lines = 0;

	for (;;) {
		lines++;
		FUZZ_CHECK(strncmp(p, "fuzz.conf:", 10) == 0 ||
		    (strncmp(p, "... and ", 8) == 0 && strchr(p, '\n') == NULL));
		if ((p = strchr(p, '\n')) == NULL)
			break;
		p++;
	}
	FUZZ_CHECK(lines <= CONFIG_ERR_LINES + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char fixed[] = "AuthservID fuzz.test\n";
	char err[CONFIG_ERRS_MAX];
	char *text = fuzz_cstr(data, size), *buf;
	size_t len = size;
	config_t *cfg;

	if (strcasestr(text, "authservid") == NULL) {
		buf = malloc(sizeof(fixed) + size);
		FUZZ_CHECK(buf != NULL);
		memcpy(buf, fixed, sizeof(fixed) - 1);
		if (size)
			memcpy(buf + sizeof(fixed) - 1, data, size);
		len = sizeof(fixed) - 1 + size;
	} else {
		buf = malloc(size ? size : 1);
		FUZZ_CHECK(buf != NULL);
		if (size)
			memcpy(buf, data, size);
	}
	memset(err, 'x', sizeof(err));
	cfg = config_load_buffer("fuzz.conf", buf, len, err, sizeof(err));
	if (cfg == NULL) {
		FUZZ_CHECK(strnlen(err, sizeof(err)) < sizeof(err));
		check_errors(err);
	} else {
		check_loaded(cfg);
		config_free(cfg);
	}
	free(buf);
	free(text);
	return 0;
}
