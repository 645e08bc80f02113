/* Unit tests for reporter/aggregate: one policy domain with many distinct
 * records (1,025: just past the first hash table; 200,000: a big sender
 * at a mid-size MX), merging, sorting and adding after a sort.  Before
 * the fix agg_sort() rebuilt a 1,024-slot table for any number of records
 * and the probe loop never ended (issue 11). */
#include "../../util/strbuf.h"
#include "../../reporter/aggregate.h"
#include "../tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* n distinct records (source 10.x.y.z), each added twice. */
static void fill(agg_report_t *rep, size_t n)
{
	const char *f[AGG_NFIELDS];
	char ip[32];

	for (size_t i = 0; i < AGG_NFIELDS; i++)
		f[i] = "";
	f[AGG_F_HEADER_FROM] = "example.com";
	f[AGG_F_DISPOSITION] = "none";
	f[AGG_F_SOURCE_IP] = ip;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			str_format(ip, sizeof(ip), "10.%zu.%zu.%zu",
			    (i >> 16) & 255, (i >> 8) & 255, i & 255);
			agg_add(rep, f, 1);
		}
}

static int sorted(const agg_report_t *rep)
{
	for (size_t i = 1; i < rep->nrecords; i++)
		if (strcmp(rep->records[i - 1].key, rep->records[i].key) >= 0)
			return 0;
	return 1;
}

static void many(size_t n)
{
	agg_report_t rep;
	const char *f[AGG_NFIELDS];
	unsigned long long sum = 0;

	agg_init(&rep, "example.com");
	fill(&rep, n);
	is_int(rep.nrecords, n, "%zu distinct records kept", n);
	is_int(rep.messages, 2 * n, "%zu messages counted", 2 * n);
	agg_sort(&rep);                 /* hung here with > 1,024 records */
	ok(sorted(&rep), "%zu records sorted, each once", n);
	for (size_t i = 0; i < rep.nrecords; i++)
		sum += rep.records[i].count;
	is_int(sum, 2 * n, "counts survive the sort");
	ok(rep.nslots > 2 * rep.nrecords, "table after the sort has room "
	    "(%zu slots for %zu records)", rep.nslots, rep.nrecords);
	/* Adding after the sort finds the existing records and grows. */
	fill(&rep, n + 1);
	is_int(rep.nrecords, n + 1, "adding after the sort merges (%zu)",
	    n + 1);
	is_int(rep.messages, 4 * n + 2, "and counts");
	agg_sort(&rep);
	ok(sorted(&rep), "sorted again");
	{
		char *buf = NULL;

		ok(agg_fields(&rep.records[0], f, &buf) == 0 &&
		    strcmp(f[AGG_F_HEADER_FROM], "example.com") == 0,
		    "fields of a record");
		free(buf);
	}
	agg_free(&rep);
}

int main(void)
{
	agg_report_t rep;

	agg_init(&rep, "empty.example");
	agg_sort(&rep);
	is_int(rep.nrecords, 0, "an empty report sorts");
	agg_free(&rep);
	many(1);
	many(1024);
	many(1025);
	many(200000);
	return tap_done();
}
