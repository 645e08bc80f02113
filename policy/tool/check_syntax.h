/*
 * check_syntax - every syntax problem of one DMARC record, for
 * `dmarcwarden-policy check`.
 *
 * SYNOPSIS
 *	char notes[CHECK_MAX_NOTES][DMARC_ERR_MAX];
 *	n = check_syntax_notes(rec, len, full_err, notes, CHECK_MAX_NOTES);
 *
 * DESCRIPTION
 *	dmarc_record_parse() (policy core) keeps its notes in one short
 *	buffer and stops at the first duplicate tag, so the check would
 *	show only the first few problems.  Here each tag-spec after
 *	"v=DMARC1;" is parsed alone, at its own offset (the record with the
 *	other tag-specs blanked out), so every bad value, URI and malformed
 *	tag-spec is reported with its offset; a known tag seen twice is a
 *	"duplicate tag" note (the record is then invalid).  The notes of
 *	the whole-record parse (full_err, "; "-separated) that are not about
 *	one tag-spec (empty record, version, length, empty tag-specs) are
 *	kept as they are.  Notes are unique, in order of offset (tag-spec
 *	notes first, then the whole-record ones).
 *
 * DIAGNOSTICS
 *	Returns the number of notes written (at most max).
 */
#ifndef PTOOL_CHECK_SYNTAX_H
#define PTOOL_CHECK_SYNTAX_H

#include <stddef.h>

#include "../dmarc_record.h"

#define CHECK_MAX_NOTES 32

size_t check_syntax_notes(const char *rec, size_t len, const char *full_err,
    char (*notes)[DMARC_ERR_MAX], size_t max);

#endif
