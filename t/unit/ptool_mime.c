/*
 * ptool_mime - unit tests of policy/tool/mime.c: report attachments found
 * in nested multiparts, transfer encodings, parameters, limits (depth,
 * part count, size), and the Subject.
 */
#include <stdlib.h>
#include <string.h>

#include "../../util/strbuf.h"
#include "../../policy/tool/mime.h"
#include "../tap.h"

typedef struct seen {
	int n;
	char name[4][64];
	char data[4][64];
} seen_t;

static int each(void *ctx, const char *name, const char *data, size_t len)
{
	seen_t *s = ctx;

	if (s->n < 4) {
		str_copy(s->name[s->n], sizeof(s->name[0]), name);
		str_ncopy(s->data[s->n], sizeof(s->data[0]), data, len);
	}
	s->n++;
	return 0;
}

static const char nested[] =
	"From: a@b.example\r\n"
	"Subject: Report Domain: example.com\r\n"
	" Submitter: google.com Report-ID: <123>\r\n"
	"Content-Type: multipart/mixed;\r\n boundary=\"outer\"\r\n\r\n"
	"preamble\r\n"
	"--outer\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
	"--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"
	"--inner\r\nContent-Type: APPLICATION/GZIP; name=\"r.xml.gz\"\r\n"
	"Content-Transfer-Encoding: Base64\r\n\r\naGVs\r\nbG8=\r\n"
	"--inner--\r\n"
	"--outer\r\nContent-Type: application/octet-stream\r\n"
	"Content-Disposition: attachment; filename=report.zip\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n\r\nPK=3D=\r\nx\r\n"
	"--outer\r\nContent-Type: application/octet-stream\r\n"
	"Content-Disposition: attachment; filename=\"photo.jpg\"\r\n\r\nJPEG\r\n"
	"--outer--\r\nepilogue\r\n";

static void test_nested(void)
{
	char err[UNPACK_ERR_MAX], subj[256];
	seen_t s = { 0 };
	int n = mime_reports(nested, strlen(nested), 1024, each, &s, err,
	    sizeof(err));

	is_int(n, 2, "two report parts among four leaves");
	is_str(s.name[0], "r.xml.gz", "name from Content-Type name=");
	is_str(s.data[0], "hello", "base64 decoded (case-insensitive type)");
	is_str(s.name[1], "report.zip", "octet-stream with .zip filename");
	is_str(s.data[1], "PK=x", "quoted-printable decoded");
	mime_subject(nested, strlen(nested), subj, sizeof(subj));
	is_str(subj, "Report Domain: example.com  Submitter: google.com "
	    "Report-ID: <123>", "Subject unfolded");
}

/* What real reporters send: TAB-folded parameters (Outlook), RFC 2231
 * names, unusual gzip types and .xml.gzip names (issue 14.2). */
static const char real[] =
	"From: a@b.example\r\n"
	"Content-type: multipart/mixed;\r\n\tboundary=\"B_36\"\r\n\r\n"
	"--B_36\r\nContent-type: application/zip; name=\"z.zip\";\r\n"
	" x-mac-creator=\"4F50\"\r\nContent-disposition: attachment;\r\n"
	"\tfilename=\"tab.zip\"\r\n\r\nPK1\r\n"
	"--B_36\r\nContent-Type: application/x-gzip-compressed\r\n"
	"Content-Disposition: attachment;\r\n"
	" filename*=UTF-8''google.com%21example.com%211.xml.gz\r\n\r\ngz2\r\n"
	"--B_36\r\nContent-Type: application/octet-stream\r\n"
	"Content-Disposition: attachment; filename*0*=us-ascii'en'a%2D;"
	"\r\n\tfilename*1=\"b.xml.gzip\"\r\n\r\ngz3\r\n"
	"--B_36\r\nContent-Type: text/plain\r\n\r\nnot a report\r\n"
	"--B_36--\r\n";

static void test_real_headers(void)
{
	char err[UNPACK_ERR_MAX];
	seen_t s = { 0 };
	int n = mime_reports(real, strlen(real), 1024, each, &s, err,
	    sizeof(err));

	is_int(n, 3, "TAB-folded boundary found: three report parts");
	is_str(s.name[0], "tab.zip", "TAB-folded filename read");
	is_str(s.data[0], "PK1", "its body");
	is_str(s.name[1], "google.com!example.com!1.xml.gz", "RFC 2231 "
	    "filename*= decoded, application/x-gzip-compressed accepted");
	is_str(s.name[2], "a-b.xml.gzip", "RFC 2231 continuations joined, "
	    ".xml.gzip octet-stream accepted");
}

static void test_limits(void)
{
	static const char single[] = "Content-Type: application/zip\n\nPK";
	static const char unclosed[] = "Content-Type: multipart/mixed; "
	    "boundary=q\n\n--q\nContent-Type: text/xml\n\n<a/>\n";
	char err[UNPACK_ERR_MAX];
	strbuf_t sb;
	seen_t s = { 0 };
	int i;

	strbuf_init(&sb, 1 << 20);
	strbuf_puts(&sb, "Content-Type: multipart/mixed; boundary=b0\r\n\r\n");
	for (i = 1; i < 20; i++)
		strbuf_appendf(&sb, "--b%d\r\nContent-Type: multipart/mixed; "
		    "boundary=b%d\r\n\r\n", i - 1, i);
	ok(mime_reports(sb.s, sb.len, 1024, each, &s, err, sizeof(err)) < 0 &&
	    strstr(err, "nested too deeply"), "20 nested multiparts refused");
	strbuf_reset(&sb);
	strbuf_puts(&sb, "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (i = 0; i < 200; i++)
		strbuf_puts(&sb, "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n");
	strbuf_puts(&sb, "--b--\r\n");
	ok(mime_reports(sb.s, sb.len, 1024, each, &s, err, sizeof(err)) < 0 &&
	    strstr(err, "too many MIME parts"), "200 parts refused");
	strbuf_reset(&sb);
	strbuf_puts(&sb, "Content-Type: text/xml\r\n\r\n<feedback>");
	for (i = 0; i < 100; i++)
		strbuf_puts(&sb, "0123456789");
	ok(mime_reports(sb.s, sb.len, 64, each, &s, err, sizeof(err)) < 0 &&
	    strstr(err, "larger than the size limit"), "part over max refused");
	strbuf_free(&sb);
	ok(mime_reports("Content-Type: multipart/mixed\r\n\r\nx", 34, 64, each,
	    &s, err, sizeof(err)) < 0 && strstr(err, "without boundary"),
	    "multipart without boundary");
	ok(mime_reports("Subject: x\r\nno end", 18, 64, each, &s, err,
	    sizeof(err)) < 0 && strstr(err, "no end of header"),
	    "no header/body separator");
	memset(&s, 0, sizeof(s));
	is_int(mime_reports(single, strlen(single), 64, each, &s, err,
	    sizeof(err)), 1, "single-part report, LF line ends");
	memset(&s, 0, sizeof(s));
	is_int(mime_reports(unclosed, strlen(unclosed), 64, each, &s, err,
	    sizeof(err)), 1, "missing closing delimiter: last part still read");
	is_str(s.data[0], "<a/>\n", "its content");
}

int main(void)
{
	test_nested();
	test_real_headers();
	test_limits();
	return tap_done();
}
