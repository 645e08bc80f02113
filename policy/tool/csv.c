/*
 * csv - CSV fields and records.  See csv.h.
 */
#include "csv.h"

#include <string.h>

void csv_text(FILE *f, const char *s)
{
	int quote = strpbrk(s, ",\"\r\n") != NULL;

	if (quote)
		fputc('"', f);
	if (s[0] && strchr("=+-@\t\r", s[0]) != NULL)
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	if (quote)
		fputc('"', f);
}

void csv_num(FILE *f, unsigned long long n)
{
	fprintf(f, "%llu", n);
}

void csv_sep(FILE *f)
{
	fputc(',', f);
}

void csv_end(FILE *f)
{
	fputs("\r\n", f);
}

void csv_header(FILE *f, const char *const *names)
{
	size_t i;

	for (i = 0; names[i]; i++) {
		if (i)
			csv_sep(f);
		csv_text(f, names[i]);
	}
	csv_end(f);
}
