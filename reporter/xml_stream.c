/*
 * xml_stream - validating streaming XML writer.  See xml_stream.h.
 */
#include "xml_stream.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/xmlwriter.h>

#include "../util/strbuf.h"

/* w[0] feeds the validator, and the sink too when there is no w[1];
 * w[1] (namespace not written) feeds only the sink. */
struct xstream {
	xmlSchemaValidCtxtPtr vc;
	xmlSchemaSAXPlugPtr plug;
	xmlSAXHandler sax;          /* empty: the validator's handlers only */
	xmlSAXHandlerPtr saxp;      /* both written back by the unplug */
	void *sax_data;
	xmlParserCtxtPtr pc;
	xmlTextWriterPtr w[2];
	size_t nw;
	const char *ns;
	bool write_ns, root_open;
	xstream_sink_fn sink;
	void *ctx;
	bool sink_failed, writer_failed;
	char verr[XSTREAM_ERR_MAX];
};

void xstream_collect_error(void *ctx, xmlErrorPtr e)
{
	char *err = ctx;
	char msg[XSTREAM_ERR_MAX - 32];

	if (err[0] != '\0' || e == NULL)
		return;            /* keep the first one */
	str_printable(msg, sizeof(msg), e->message ? e->message : "error",
	    e->message ? strcspn(e->message, "\n") : 5);
	str_format(err, XSTREAM_ERR_MAX, "line %d: %s", e->line, msg);
}

/* ---- where the writers' bytes go ------------------------------------- */

static void to_validator(xstream_t *x, const char *p, int n)
{
	/* Errors are read from the contexts at the end; a parser that has
	 * stopped ignores further chunks. */
	(void)xmlParseChunk(x->pc, p, n, 0);
}

static void to_sink(xstream_t *x, const char *p, int n)
{
	if (!x->sink_failed && x->sink(x->ctx, (const unsigned char *)p,
	    (size_t)n) < 0)
		x->sink_failed = true;
}

static int out_both(void *ctx, const char *p, int n)
{
	to_validator(ctx, p, n);
	to_sink(ctx, p, n);
	return n;
}

static int out_validator(void *ctx, const char *p, int n)
{
	to_validator(ctx, p, n);
	return n;
}

static int out_sink(void *ctx, const char *p, int n)
{
	to_sink(ctx, p, n);
	return n;
}

static xmlTextWriterPtr new_writer(xstream_t *x,
    xmlOutputWriteCallback out)
{
	xmlOutputBufferPtr ob = xmlOutputBufferCreateIO(out, NULL, x, NULL);
	xmlTextWriterPtr w;

	if (ob == NULL)
		return NULL;
	if ((w = xmlNewTextWriter(ob)) == NULL) {
		xmlOutputBufferClose(ob);
		return NULL;
	}
	if (xmlTextWriterSetIndent(w, 1) < 0 ||
	    xmlTextWriterSetIndentString(w, BAD_CAST "  ") < 0 ||
	    xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0) {
		xmlFreeTextWriter(w);
		return NULL;
	}
	return w;
}

/* ---- open and close ------------------------------------------------- */

static void free_stream(xstream_t *x)
{
	for (size_t i = 0; i < 2; i++)
		xmlFreeTextWriter(x->w[i]);
	if (x->pc)
		xmlFreeParserCtxt(x->pc);
	if (x->plug)
		xmlSchemaSAXUnplug(x->plug);
	xmlSchemaFreeValidCtxt(x->vc);
	free(x);
}

xstream_t *xstream_open(xmlSchemaPtr schema, const char *ns, bool write_ns,
    xstream_sink_fn sink, void *ctx)
{
	xstream_t *x = calloc(1, sizeof(*x));

	if (x == NULL)
		abort();
	x->ns = ns;
	x->write_ns = write_ns;
	x->sink = sink;
	x->ctx = ctx;
	x->sax.initialized = XML_SAX2_MAGIC;
	x->saxp = &x->sax;
	if ((x->vc = xmlSchemaNewValidCtxt(schema)) == NULL)
		goto fail;
	xmlSchemaSetValidStructuredErrors(x->vc, xstream_collect_error,
	    x->verr);
	if ((x->plug = xmlSchemaSAXPlug(x->vc, &x->saxp, &x->sax_data)) ==
	    NULL)
		goto fail;
	x->pc = xmlCreatePushParserCtxt(x->saxp, x->sax_data, NULL, 0,
	    "report.xml");
	if (x->pc == NULL)
		goto fail;
	xmlCtxtUseOptions(x->pc, XML_PARSE_NONET | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
	x->w[0] = new_writer(x, write_ns ? out_both : out_validator);
	x->nw = 1;
	if (!write_ns) {
		x->w[1] = new_writer(x, out_sink);
		x->nw = 2;
	}
	if (x->w[0] == NULL || (!write_ns && x->w[1] == NULL))
		goto fail;
	return x;
fail:
	free_stream(x);
	return NULL;
}

int xstream_close(xstream_t *x, char *err, size_t errlen)
{
	bool wellformed;
	int rc = 0;

	if (x == NULL) {
		str_copy(err, errlen, "cannot set up the XML writer");
		return -2;
	}
	for (size_t i = 0; i < x->nw; i++) {
		if (!x->writer_failed && xmlTextWriterEndDocument(x->w[i]) < 0)
			x->writer_failed = true;
		/* Flushes the last bytes through the callbacks. */
		xmlFreeTextWriter(x->w[i]);
		x->w[i] = NULL;
	}
	(void)xmlParseChunk(x->pc, NULL, 0, 1);
	wellformed = x->pc->wellFormed;
	if (x->sink_failed || x->writer_failed) {
		str_copy(err, errlen, x->sink_failed ? "cannot store the report"
		    : "the XML writer failed");
		rc = -2;
	} else if (xmlSchemaIsValid(x->vc) != 1 || x->verr[0]) {
		str_format(err, errlen, "report does not validate: %s",
		    x->verr[0] ? x->verr : "internal error");
		rc = -1;
	} else if (!wellformed) {
		str_copy(err, errlen, "report is not well-formed XML");
		rc = -1;
	}
	free_stream(x);
	return rc;
}

/* ---- elements ------------------------------------------------------- */

bool xstream_failed(const xstream_t *x)
{
	return x->sink_failed || x->writer_failed || x->verr[0] != '\0';
}

static void check(xstream_t *x, int rc)
{
	if (rc < 0)
		x->writer_failed = true;
}

void xstream_start(xstream_t *x, const char *name)
{
	for (size_t i = 0; i < x->nw && !x->writer_failed; i++) {
		check(x, xmlTextWriterStartElement(x->w[i], BAD_CAST name));
		/* The validating writer (w[0]) always declares it. */
		if (!x->root_open && (i == 0 || x->write_ns))
			check(x, xmlTextWriterWriteAttribute(x->w[i],
			    BAD_CAST "xmlns", BAD_CAST x->ns));
	}
	x->root_open = true;
}

void xstream_end(xstream_t *x)
{
	for (size_t i = 0; i < x->nw && !x->writer_failed; i++)
		check(x, xmlTextWriterEndElement(x->w[i]));
}

/* Text is escaped as the tree serializer does (&, <, >; quotes left as
 * they are), then written raw: xmlTextWriterWriteString() would also
 * turn " into &quot; and change the bytes of existing reports. */
void xstream_text(xstream_t *x, const char *name, const char *text)
{
	xmlChar *esc;

	if (x->writer_failed)
		return;
	if ((esc = xmlEncodeEntitiesReentrant(NULL, BAD_CAST text)) == NULL) {
		x->writer_failed = true;
		return;
	}
	xstream_start(x, name);
	for (size_t i = 0; i < x->nw && !x->writer_failed; i++)
		check(x, xmlTextWriterWriteRaw(x->w[i], esc));
	xstream_end(x);
	xmlFree(esc);
}
