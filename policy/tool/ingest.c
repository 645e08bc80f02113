/*
 * ingest - received reports from files into the database.  See ingest.h.
 */
#include "ingest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../util/strbuf.h"
#include "mime.h"
#include "ruf_store.h"
#include "unpack.h"

typedef struct job {
	rua_store_t *store;
	const ingest_opts_t *o;
	ingest_stats_t *st;
	const char *label;    /* where the current bytes came from */
	int nesting;
	int dbfail;
	unpack_budget_t budget;   /* of the current input file */
} job_t;

static void say(const job_t *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(const job_t *j, const char *fmt, ...)
{
	va_list ap;

	if (j->o->out == NULL)
		return;
	fprintf(j->o->out, "%s: ", j->label);
	va_start(ap, fmt);
	vfprintf(j->o->out, fmt, ap);
	va_end(ap);
	fputc('\n', j->o->out);
}

static void rejected(job_t *j, const char *why)
{
	j->st->rejected++;
	say(j, "rejected: %s", why);
}

static int blob(job_t *j, const char *data, size_t len);

static void store_xml(job_t *j, const char *data, size_t len)
{
	char err[RUA_ERR_MAX], dup[INGEST_LABEL_MAX];
	rua_meta_t m;
	rua_doc_t *d = rua_doc_parse(data, len, j->o->max_xml, &m, err,
	    sizeof(err));

	if (d == NULL) {
		rejected(j, err);
		return;
	}
	switch (rua_store_add(j->store, &m, d, j->label, dup, sizeof(dup), err,
	    sizeof(err))) {
	case 1:
		j->st->stored++;
		j->st->records += m.nrecords;
		j->st->messages += m.messages;
		say(j, "stored %s report %s for %s (%s, %zu records, %llu "
		    "messages)%s%s%s", m.org_name, m.report_id, m.domain,
		    rua_format_name(m.format), m.nrecords, m.messages,
		    m.nwarnings ? "; warning: " : "", m.warning,
		    m.nwarnings > 1 ? " (and more)" : "");
		break;
	case 0:
		j->st->duplicates++;
		say(j, "duplicate %s report %s (already stored from %s)",
		    m.org_name, m.report_id, dup);
		break;
	default:
		j->dbfail = 1;
		say(j, "database error: %s", err);
	}
	rua_doc_free(d);
}

/* Run blob() on nested bytes with a label "outer[what]". */
static int nested(job_t *j, const char *what, const char *data, size_t len)
{
	char label[INGEST_LABEL_MAX], safe[UNPACK_NAME_MAX];
	const char *outer = j->label;
	int rc;

	str_printable(safe, sizeof(safe), what, strlen(what));
	str_format(label, sizeof(label), "%s[%s]", outer, safe);
	j->label = label;
	j->nesting++;
	rc = blob(j, data, len);
	j->nesting--;
	j->label = outer;
	return rc;
}

static int zip_member_cb(void *ctx, const char *name, const char *data,
    size_t len)
{
	return nested(ctx, name, data, len);
}

static int attachment_cb(void *ctx, const char *name, const char *data,
    size_t len)
{
	return nested(ctx, name, data, len);
}

/* An email without an aggregate report: a failure report (ruf.h)? */
static void failure_report(job_t *j, const char *data, size_t len)
{
	char err[RUA_ERR_MAX], dup[INGEST_LABEL_MAX];
	ruf_t *r = malloc(sizeof(*r));

	if (r == NULL)
		abort();
	if (ruf_parse(data, len, j->o->max_xml, r, err, sizeof(err)) <= 0) {
		char why[RUA_ERR_MAX + 64];

		str_format(why, sizeof(why), "email holds no report attachment "
		    "(gzip, zip or XML) and no failure report: %s", err);
		rejected(j, why);
		free(r);
		return;
	}
	switch (ruf_store_add(rua_store_db(j->store), r, j->label, dup,
	    sizeof(dup), err, sizeof(err))) {
	case 1:
		j->st->failures++;
		say(j, "stored failure report for %s from %s (source %s, %s, "
		    "%s)", r->domain, r->reporter[0] ? r->reporter : "unknown",
		    r->source_ip[0] ? r->source_ip : "unknown",
		    r->auth_failure[0] ? r->auth_failure : "auth-failure",
		    r->delivery_result[0] ? r->delivery_result : "no result");
		break;
	case 0:
		j->st->duplicates++;
		say(j, "duplicate failure report for %s (already stored from "
		    "%s)", r->domain, dup);
		break;
	default:
		j->dbfail = 1;
		say(j, "database error: %s", err);
	}
	free(r);
}

static void email(job_t *j, const char *data, size_t len)
{
	char err[UNPACK_ERR_MAX];
	int n = mime_reports(data, len, j->o->max_xml, attachment_cb, j, err,
	    sizeof(err));

	if (n < 0 && !j->dbfail)
		rejected(j, err);
	else if (n == 0)
		failure_report(j, data, len);
}

/* Split an mbox at lines starting with "From " (after a newline). */
static void mbox(job_t *j, const char *data, size_t len)
{
	size_t start = 0, pos, n = 0;
	char what[32];
	const char *nl;

	while (start < len && !j->dbfail) {
		/* skip the "From " separator line itself */
		nl = memchr(data + start, '\n', len - start);
		pos = nl ? (size_t)(nl - data) + 1 : len;
		start = pos;
		while (pos < len) {
			nl = memchr(data + pos, '\n', len - pos);
			if (nl == NULL) {
				pos = len;
				break;
			}
			pos = (size_t)(nl - data) + 1;
			if (len - pos >= 5 && memcmp(data + pos, "From ", 5) == 0)
				break;
		}
		str_format(what, sizeof(what), "message %zu", ++n);
		{
			const char *outer = j->label;
			char label[INGEST_LABEL_MAX];

			str_format(label, sizeof(label), "%s[%s]", outer, what);
			j->label = label;
			email(j, data + start, pos - start);
			j->label = outer;
		}
		start = pos;
	}
}

/* A gzip stream, within the file's decompression budget. */
static void gunzip(job_t *j, const char *data, size_t len)
{
	size_t cap = j->o->max_xml < j->budget.bytes ? j->o->max_xml :
	    j->budget.bytes;
	char err[UNPACK_ERR_MAX];
	strbuf_t out;

	if (j->budget.members == 0) {
		rejected(j, "too many archive members in one file "
		    "(decompression budget; refused: possible zip bomb)");
		return;
	}
	j->budget.members--;
	if (cap == 0) {
		rejected(j, "the decompression budget of this file is spent "
		    "(refused: possible zip bomb)");
		return;
	}
	strbuf_init(&out, cap);
	if (unpack_gunzip(data, len, &out, err, sizeof(err)) < 0) {
		if (out.truncated && cap < j->o->max_xml)
			str_format(err, sizeof(err), "decompressed size "
			    "exceeds what is left of the decompression budget "
			    "of this file (%zu bytes; refused: possible zip "
			    "bomb)", cap);
		rejected(j, err);
	} else {
		blob(j, strbuf_str(&out), out.len);
	}
	/* what was inflated counts, refused or not; a stream stopped at the
	 * budget spends it */
	j->budget.bytes -= out.truncated && cap < j->o->max_xml ? cap :
	    out.len;
	strbuf_free(&out);
}

static void budget_for(job_t *j, size_t len)
{
	j->budget.bytes = INGEST_BUDGET_XMLS * j->o->max_xml +
	    INGEST_BUDGET_RATIO * len;
	j->budget.members = INGEST_BUDGET_MEMBERS + len /
	    INGEST_BUDGET_BYTES_PER_MEMBER;
}

static int blob(job_t *j, const char *data, size_t len)
{
	char err[UNPACK_ERR_MAX];

	if (j->nesting > INGEST_MAX_NESTING) {
		rejected(j, "containers nested too deeply");
		return 0;
	}
	switch (unpack_kind(data, len)) {
	case UNPACK_XML:
		store_xml(j, data, len);
		break;
	case UNPACK_GZIP:
		gunzip(j, data, len);
		break;
	case UNPACK_ZIP:
		if (unpack_zip(data, len, j->o->max_xml, &j->budget,
		    zip_member_cb, j, err, sizeof(err)) < 0)
			rejected(j, err);
		break;
	case UNPACK_MBOX:
		mbox(j, data, len);
		break;
	case UNPACK_EMAIL:
		email(j, data, len);
		break;
	default:
		rejected(j, len == 0 ? "empty" : "not a report (neither XML, "
		    "gzip, zip nor an email)");
	}
	return j->dbfail ? -1 : 0;
}

int ingest_blob(rua_store_t *s, const char *data, size_t len,
    const char *label, const ingest_opts_t *o, ingest_stats_t *st)
{
	job_t j = { s, o, st, label, 0, 0, { 0, 0 } };

	budget_for(&j, len);
	return blob(&j, data, len);
}

static long long mtime_ns(const struct stat *sb)
{
	return (long long)sb->st_mtim.tv_sec * 1000000000LL +
	    sb->st_mtim.tv_nsec;
}

static int read_file(job_t *j, const char *path)
{
	strbuf_t buf;
	char chunk[65536], why[160];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK), rc = 0;
	unsigned rejected_before = j->st->rejected;
	char *key = realpath(path, NULL);   /* "./x" and "/home/u/x" alike */
	struct stat sb;
	bool known;

	if (fd < 0) {
		j->st->files++;
		str_format(why, sizeof(why), "cannot open: %s", strerror(errno));
		rejected(j, why);
		free(key);
		return 0;
	}
	known = key && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
	if (known && !j->o->rescan && rua_store_file_seen(j->store, key,
	    (long long)sb.st_size, mtime_ns(&sb))) {
		j->st->unchanged++;
		close(fd);
		free(key);
		return 0;
	}
	j->st->files++;
	strbuf_init(&buf, j->o->max_input);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (strbuf_append(&buf, chunk, (size_t)n) < 0)
			break;
	if (n < 0) {
		str_format(why, sizeof(why), "read error: %s", strerror(errno));
		rejected(j, why);
	} else if (buf.truncated) {
		str_format(why, sizeof(why), "file larger than %zu bytes",
		    j->o->max_input);
		rejected(j, why);
	} else {
		budget_for(j, buf.len);
		rc = blob(j, strbuf_str(&buf), buf.len);
	}
	if (rc == 0 && known && j->st->rejected == rejected_before &&
	    rua_store_file_done(j->store, key, (long long)sb.st_size,
	    mtime_ns(&sb)) < 0)
		say(j, "warning: could not remember the file as ingested");
	close(fd);
	free(key);
	strbuf_free(&buf);
	return rc;
}

/* Files a mail server keeps in a Maildir next to the mail: Dovecot's
 * index, cache, log and uid lists, the folder marker, Courier's. */
static bool maildir_control(const char *name)
{
	static const char *const exact[] = { "dovecot-uidlist",
		"dovecot-keywords", "dovecot-uidvalidity", "maildirfolder",
		"subscriptions", "courierimapuiddb", "courierimapkeywords",
		"courierimapacl", NULL };
	static const char *const prefix[] = { "dovecot.",
		"dovecot-uidvalidity.", "dovecot-uidlist.", NULL };
	size_t i;

	for (i = 0; exact[i]; i++)
		if (strcmp(name, exact[i]) == 0)
			return true;
	for (i = 0; prefix[i]; i++)
		if (strncmp(name, prefix[i], strlen(prefix[i])) == 0)
			return true;
	return false;
}

static int walk(job_t *j, const char *path, int depth)
{
	struct dirent **names;
	struct stat sb;
	char child[INGEST_LABEL_MAX];
	int n, i, rc = 0;

	j->label = path;
	if (stat(path, &sb) < 0) {
		str_format(child, sizeof(child), "%s", strerror(errno));
		j->st->files++;
		rejected(j, child);
		return 0;
	}
	if (S_ISREG(sb.st_mode))
		return read_file(j, path);
	if (!S_ISDIR(sb.st_mode)) {
		rejected(j, "not a regular file or directory");
		return 0;
	}
	if (depth >= INGEST_MAX_DEPTH) {
		rejected(j, "directory nested too deeply, skipped");
		return 0;
	}
	if ((n = scandir(path, &names, NULL, alphasort)) < 0) {
		rejected(j, "cannot read directory");
		return 0;
	}
	for (i = 0; i < n; i++) {
		const char *e = names[i]->d_name;

		if (rc == 0 && e[0] != '.' && strcmp(e, "tmp") != 0 &&
		    !maildir_control(e) &&
		    str_format(child, sizeof(child), "%s/%s", path, e) >= 0)
			rc = walk(j, child, depth + 1);
		free(names[i]);
	}
	free(names);
	return rc;
}

int ingest_path(rua_store_t *s, const char *path, const ingest_opts_t *o,
    ingest_stats_t *st)
{
	job_t j = { s, o, st, path, 0, 0, { 0, 0 } };

	return walk(&j, path, 0);
}
