/*
 * xml_stream - write an XML document element by element with libxml2's
 * xmlTextWriter and validate it against a schema while it is written, in
 * memory that does not grow with the document.
 *
 * SYNOPSIS
 *	xstream_t *x = xstream_open(schema, ns, write_ns, sink, ctx);
 *	xstream_start(x, "feedback");          the root
 *	xstream_text(x, "version", "1.0");     <version>1.0</version>
 *	xstream_start(x, "record"); ... xstream_end(x);
 *	if (xstream_failed(x)) stop early;
 *	rc = xstream_close(x, err, sizeof(err));
 *
 * DESCRIPTION
 *	The document is UTF-8 with an XML declaration, indented by two
 *	spaces, an element with text on one line, in the layout of
 *	xmlDocDumpFormatMemoryEnc() (so that reports are byte-identical to
 *	those built as a tree before).  Every element is in the namespace
 *	ns (a default namespace declared on the root).  The text is given
 *	to sink(ctx, p, n) in pieces of a few kilobytes as it is written;
 *	sink returns 0, or -1 to fail the document.
 *
 *	The same bytes go to a push parser whose SAX events feed libxml2's
 *	streaming schema validator (xmlSchemaSAXPlug): no tree is built,
 *	so memory stays at a few buffers and the element stack whatever the
 *	number of elements.  With write_ns false the root is written
 *	without the namespace declaration (legacy readers of RFC 7489
 *	reports want that) while the validator still sees it: a second
 *	writer, fed the same calls, produces the validated variant.
 *
 *	xstream_text() escapes &, < and >; the caller gives printable
 *	ASCII (other bytes become character references).  Writer calls
 *	after a failure do nothing.  xstream_failed() tells whether the
 *	document is already invalid (or the sink failed): the caller may
 *	stop writing.
 *
 *	xstream_close() ends the open elements, flushes, finishes the
 *	validation and frees x.  It returns 0 when the whole document was
 *	written and is valid, -1 when it is not valid or not well-formed
 *	(err: the first problem, with its line), -2 when the sink or the
 *	writer failed.  On a non-zero return the sink has received part or
 *	all of a document that must be discarded.
 *
 *	xstream_collect_error() is a libxml2 structured error handler that
 *	keeps the first error in a buffer of XSTREAM_ERR_MAX bytes (ctx);
 *	the buffer must start empty.
 *
 *	A stream is used by one thread; the schema is shared read-only.
 */
#ifndef REPORTER_XML_STREAM_H
#define REPORTER_XML_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#define XSTREAM_ERR_MAX 512

typedef int (*xstream_sink_fn)(void *ctx, const unsigned char *p,
    size_t n);
typedef struct xstream xstream_t;

xstream_t *xstream_open(xmlSchemaPtr schema, const char *ns, bool write_ns,
    xstream_sink_fn sink, void *ctx);
void xstream_start(xstream_t *x, const char *name);
void xstream_text(xstream_t *x, const char *name, const char *text);
void xstream_end(xstream_t *x);
bool xstream_failed(const xstream_t *x);
int xstream_close(xstream_t *x, char *err, size_t errlen);

void xstream_collect_error(void *ctx, xmlErrorPtr e);

#endif
