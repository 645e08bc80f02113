/*
 * unpack - bounded gzip, zip, base64 and quoted-printable decoders.
 * See unpack.h.
 */
#include "unpack.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../base64.h"

#define CHUNK 65536

/* ---- zlib ------------------------------------------------------------ */

/* Inflate src into out (appending); wbits selects gzip or raw deflate.
 * *used gets the input bytes consumed.  Returns 0 at stream end. */
static int inflate_into(const unsigned char *src, size_t len, int wbits,
    strbuf_t *out, size_t *used, char *err, size_t errlen)
{
	unsigned char buf[CHUNK];
	z_stream zs;
	int rc;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, wbits) != Z_OK) {
		str_copy(err, errlen, "zlib initialisation failed");
		return -1;
	}
	zs.next_in = (unsigned char *)src;
	zs.avail_in = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
	do {
		zs.next_out = buf;
		zs.avail_out = sizeof(buf);
		rc = inflate(&zs, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
			str_format(err, errlen, "corrupt compressed data (%s)",
			    zs.msg ? zs.msg : "zlib error");
			inflateEnd(&zs);
			return -1;
		}
		if (strbuf_append(out, (char *)buf, sizeof(buf) -
		    zs.avail_out) < 0) {
			str_format(err, errlen, "decompressed size exceeds %zu "
			    "bytes (refused: possible zip bomb)", out->max);
			inflateEnd(&zs);
			return -1;
		}
		if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
			str_copy(err, errlen, "truncated compressed data");
			inflateEnd(&zs);
			return -1;
		}
	} while (rc != Z_STREAM_END);
	*used = len - zs.avail_in;
	inflateEnd(&zs);
	return 0;
}

/* Line ends, blanks and NULs some mailers append to a gzip attachment. */
static int only_padding(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != '\0' && strchr("\r\n \t", p[i]) == NULL)
			return 0;
	return 1;
}

int unpack_gunzip(const char *data, size_t len, strbuf_t *out, char *err,
    size_t errlen)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t pos = 0, used;

	if (len < 18 || p[0] != 0x1f || p[1] != 0x8b) {
		str_copy(err, errlen, len < 18 && len >= 2 && p[0] == 0x1f &&
		    p[1] == 0x8b ? "truncated gzip data" : "not gzip data");
		return -1;
	}
	while (pos < len) {
		if (only_padding(p + pos, len - pos))
			break;      /* CRLF or NULs after the last member */
		if (len - pos < 2 || p[pos] != 0x1f || p[pos + 1] != 0x8b) {
			str_copy(err, errlen, "trailing garbage after gzip data");
			return -1;
		}
		if (inflate_into(p + pos, len - pos, 16 + MAX_WBITS, out,
		    &used, err, errlen) < 0)
			return -1;
		pos += used;
	}
	return 0;
}

/* ---- zip ------------------------------------------------------------- */

#define ZIP_EOCD_SIG 0x06054b50u
#define ZIP_CDIR_SIG 0x02014b50u
#define ZIP_LOCAL_SIG 0x04034b50u
#define ZIP_EOCD_LEN 22
#define ZIP_CDIR_LEN 46
#define ZIP_LOCAL_LEN 30

static uint32_t le16(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
	return le16(p) | le16(p + 2) << 16;
}

typedef struct zip_entry {
	uint32_t flags, method, crc, csize, usize, offset;
	size_t data, end;           /* the member's bytes: [offset, end) */
	char name[UNPACK_NAME_MAX];
	int is_dir;
} zip_entry_t;

/* Find the end-of-central-directory record (it may be followed by a
 * comment of up to 65535 bytes). */
static long zip_find_eocd(const unsigned char *p, size_t len)
{
	size_t i, lowest;

	if (len < ZIP_EOCD_LEN)
		return -1;
	lowest = len - ZIP_EOCD_LEN > 65535 ? len - ZIP_EOCD_LEN - 65535 : 0;
	for (i = len - ZIP_EOCD_LEN + 1; i-- > lowest;)
		if (le32(p + i) == ZIP_EOCD_SIG &&
		    i + ZIP_EOCD_LEN + le16(p + i + 20) == len)
			return (long)i;
	return -1;
}

/* Where the entry's data starts (after its local header), checked
 * against the archive's bounds; sets e->data and e->end. */
static int zip_locate(const unsigned char *p, size_t len, zip_entry_t *e,
    char *err, size_t errlen)
{
	size_t off = e->offset;

	if (off > len || len - off < ZIP_LOCAL_LEN || le32(p + off) !=
	    ZIP_LOCAL_SIG) {
		str_format(err, errlen, "zip member %s: bad local header",
		    e->name);
		return -1;
	}
	e->data = off + ZIP_LOCAL_LEN + le16(p + off + 26) + le16(p + off + 28);
	if (e->data > len || len - e->data < e->csize) {
		str_format(err, errlen, "zip member %s: data runs past the end "
		    "of the archive (truncated)", e->name);
		return -1;
	}
	e->end = e->data + e->csize;
	return 0;
}

static int cmp_offset(const void *a, const void *b)
{
	const zip_entry_t *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Every entry (local header and data) must own its bytes: overlapping
 * entries are how a few kilobytes inflate to gigabytes (one compressed
 * kernel referenced by every entry), and no archiver writes them. */
static int zip_no_overlap(zip_entry_t *e, size_t n, char *err,
    size_t errlen)
{
	size_t i;

	qsort(e, n, sizeof(*e), cmp_offset);
	for (i = 0; i + 1 < n; i++)
		if (e[i].end > e[i + 1].offset) {
			str_format(err, errlen, "zip member %s overlaps %s "
			    "(refused: overlapping entries, a zip bomb)",
			    e[i].name, e[i + 1].name);
			return -1;
		}
	return 0;
}

static int zip_member(const unsigned char *p, const zip_entry_t *e,
    size_t max, unpack_budget_t *b, strbuf_t *out, char *err,
    size_t errlen)
{
	size_t data = e->data, used;

	if (e->usize > max) {
		str_format(err, errlen, "zip member %s: declared size %lu "
		    "exceeds %zu bytes (refused: possible zip bomb)", e->name,
		    (unsigned long)e->usize, max);
		return -1;
	}
	if (e->usize > b->bytes) {
		str_format(err, errlen, "zip member %s: declared size %lu "
		    "exceeds what is left of the decompression budget of this "
		    "file (%zu bytes; refused: possible zip bomb)", e->name,
		    (unsigned long)e->usize, b->bytes);
		return -1;
	}
	strbuf_init(out, e->usize);
	if (e->method == 0) {
		if (e->csize != e->usize || strbuf_append(out,
		    (const char *)p + data, e->csize) < 0) {
			str_format(err, errlen, "zip member %s: stored sizes "
			    "differ", e->name);
			return -1;
		}
	} else if (inflate_into(p + data, e->csize, -MAX_WBITS, out, &used,
	    err, errlen) < 0) {
		char why[UNPACK_ERR_MAX];

		b->bytes -= out->len;   /* inflated: refused, yet counted */

		str_copy(why, sizeof(why), err);
		str_format(err, errlen, "zip member %s: %s%s", e->name, why,
		    out->truncated ? " (more than its declared size)" : "");
		return -1;
	}
	if (out->len != e->usize || crc32(0, (const unsigned char *)
	    strbuf_str(out), (uInt)out->len) != e->crc) {
		str_format(err, errlen, "zip member %s: size or CRC-32 mismatch",
		    e->name);
		return -1;
	}
	b->bytes -= out->len;
	return 0;
}

static int zip_entry_read(const unsigned char *p, size_t len, size_t *pos,
    zip_entry_t *e, char *err, size_t errlen)
{
	size_t namelen, skip;

	if (*pos > len || len - *pos < ZIP_CDIR_LEN ||
	    le32(p + *pos) != ZIP_CDIR_SIG) {
		str_copy(err, errlen, "bad zip central directory entry");
		return -1;
	}
	e->flags = le16(p + *pos + 8);
	e->method = le16(p + *pos + 10);
	e->crc = le32(p + *pos + 16);
	e->csize = le32(p + *pos + 20);
	e->usize = le32(p + *pos + 24);
	namelen = le16(p + *pos + 28);
	skip = namelen + le16(p + *pos + 30) + le16(p + *pos + 32);
	e->offset = le32(p + *pos + 42);
	if (len - *pos - ZIP_CDIR_LEN < skip) {
		str_copy(err, errlen, "zip central directory runs past the end");
		return -1;
	}
	str_printable(e->name, sizeof(e->name), (const char *)p + *pos +
	    ZIP_CDIR_LEN, namelen);
	e->is_dir = namelen > 0 && p[*pos + ZIP_CDIR_LEN + namelen - 1] == '/';
	*pos += ZIP_CDIR_LEN + skip;
	if (e->csize == UINT32_MAX || e->usize == UINT32_MAX ||
	    e->offset == UINT32_MAX) {
		str_format(err, errlen, "zip member %s: ZIP64 is not supported",
		    e->name);
		return -1;
	}
	if (e->flags & 1) {
		str_format(err, errlen, "zip member %s: encrypted", e->name);
		return -1;
	}
	if (e->method != 0 && e->method != 8) {
		str_format(err, errlen, "zip member %s: compression method %lu "
		    "not supported", e->name, (unsigned long)e->method);
		return -1;
	}
	return 0;
}

/* Read and check the whole central directory into e[]; returns the
 * number of entries, or -1. */
static long zip_directory(const unsigned char *p, size_t len, zip_entry_t *e,
    char *err, size_t errlen)
{
	long eocd = zip_find_eocd(p, len);
	size_t count, i, pos, cdir;

	if (eocd < 0) {
		str_copy(err, errlen, "no zip end-of-central-directory record "
		    "(truncated or not a zip file)");
		return -1;
	}
	count = le16(p + eocd + 10);
	cdir = pos = le32(p + eocd + 16);
	if (count > UNPACK_ZIP_MAX_ENTRIES) {
		str_format(err, errlen, "zip has %zu entries (at most %d)",
		    count, UNPACK_ZIP_MAX_ENTRIES);
		return -1;
	}
	if (pos > (size_t)eocd || le32(p + eocd + 12) > (size_t)eocd - pos) {
		str_copy(err, errlen, "zip central directory out of bounds");
		return -1;
	}
	for (i = 0; i < count; i++)
		if (zip_entry_read(p, (size_t)eocd, &pos, &e[i], err,
		    errlen) < 0 || zip_locate(p, cdir, &e[i], err, errlen) < 0)
			return -1;
	/* zip_locate() bounded every entry by the central directory */
	if (zip_no_overlap(e, count, err, errlen) < 0)
		return -1;
	return (long)count;
}

int unpack_zip(const char *data, size_t len, size_t max, unpack_budget_t *b,
    unpack_member_fn each, void *ctx, char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)data;
	zip_entry_t *e = calloc(UNPACK_ZIP_MAX_ENTRIES, sizeof(*e));
	long count, i;
	size_t files = 0;
	strbuf_t out;
	int rc = 0;

	if (e == NULL)
		abort();
	if ((count = zip_directory(p, len, e, err, errlen)) < 0)
		rc = -1;
	for (i = 0; rc == 0 && i < count; i++) {
		if (e[i].is_dir)
			continue;
		files++;
		if (b->members == 0) {
			str_copy(err, errlen, "too many archive members in one "
			    "file (decompression budget; refused: possible zip "
			    "bomb)");
			rc = -1;
			break;
		}
		b->members--;
		strbuf_init(&out, 0);
		rc = zip_member(p, &e[i], max, b, &out, err, errlen);
		if (rc == 0)
			rc = each(ctx, e[i].name, strbuf_str(&out), out.len);
		strbuf_free(&out);
	}
	if (rc == 0 && files == 0) {
		str_copy(err, errlen, "zip archive holds no file");
		rc = -1;
	}
	free(e);
	return rc;
}

/* ---- base64, quoted-printable ---------------------------------------- */

int unpack_base64(const char *text, size_t len, strbuf_t *out)
{
	unsigned char q[3];
	base64_t st;
	size_t i;
	int n;

	base64_init(&st);
	for (i = 0; i < len; i++) {
		n = base64_push(&st, (unsigned char)text[i], q);
		if (n < 0 || strbuf_append(out, (const char *)q, (size_t)n) < 0)
			return -1;
	}
	n = base64_finish(&st, false, q);
	if (n < 0 || strbuf_append(out, (const char *)q, (size_t)n) < 0)
		return -1;
	return 0;
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int unpack_qp(const char *text, size_t len, strbuf_t *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (text[i] != '=') {
			if (strbuf_putc(out, text[i]) < 0)
				return -1;
			continue;
		}
		if (i + 1 < len && text[i + 1] == '\n') {
			i++;
			continue;
		}
		if (i + 2 < len && text[i + 1] == '\r' && text[i + 2] == '\n') {
			i += 2;
			continue;
		}
		if (i + 2 >= len || (hi = hex_value((unsigned char)text[i + 1]))
		    < 0 || (lo = hex_value((unsigned char)text[i + 2])) < 0)
			return -1;
		if (strbuf_putc(out, (char)(hi << 4 | lo)) < 0)
			return -1;
		i += 2;
	}
	return 0;
}

/* ---- sniffing -------------------------------------------------------- */

static int looks_like_header(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < 80; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == ':')
			return i > 0;
		if (c <= ' ' || c > '~')
			return 0;
	}
	return 0;
}

unpack_kind_t unpack_kind(const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t i = 0;

	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return UNPACK_GZIP;
	if (len >= 4 && le32(p) == ZIP_LOCAL_SIG)
		return UNPACK_ZIP;
	if (len >= 5 && memcmp(p, "From ", 5) == 0)
		return UNPACK_MBOX;
	if (len >= 2 && ((p[0] == 0xff && p[1] == 0xfe) || (p[0] == 0xfe &&
	    p[1] == 0xff)))
		return UNPACK_XML;      /* UTF-16: refused by the XML checks */
	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
	    p[i] == '\n'))
		i++;
	if (i < len && p[i] == '<')
		return UNPACK_XML;
	if (looks_like_header(data, len))
		return UNPACK_EMAIL;
	return UNPACK_UNKNOWN;
}

const char *unpack_kind_name(unpack_kind_t k)
{
	static const char *const names[] = { "unknown", "xml", "gzip", "zip",
		"mbox", "email" };

	return (size_t)k < sizeof(names) / sizeof(names[0]) ? names[k] :
	    "unknown";
}
