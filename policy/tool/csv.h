/*
 * csv - RFC 4180 CSV output of the tool's tables (report --csv, list
 * --csv), safe to open in a spreadsheet.
 *
 * SYNOPSIS
 *	csv_text(f, "example.com"); csv_sep(f); csv_num(f, 12); csv_end(f);
 *
 * DESCRIPTION
 *	Fields are separated by ',' and records end in CRLF (RFC 4180).  A
 *	text field is quoted when it holds ',', '"', CR or LF (a quote is
 *	doubled).  Text that came from outside and starts with '=', '+',
 *	'-', '@', TAB or CR is prefixed with a single quote, so that a
 *	spreadsheet shows it instead of evaluating it as a formula (CSV
 *	injection); numbers are written as numbers.
 */
#ifndef PTOOL_CSV_H
#define PTOOL_CSV_H

#include <stdio.h>

void csv_text(FILE *f, const char *s);
void csv_num(FILE *f, unsigned long long n);
void csv_sep(FILE *f);
void csv_end(FILE *f);
/* A header record from a NULL-terminated list of names. */
void csv_header(FILE *f, const char *const *names);

#endif
