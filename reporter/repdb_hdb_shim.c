/*
 * repdb_hdb_shim - TEMPORARY (branch hs only): repdb_hdb() until
 * history/repdb.c (developer hr) provides it.  An hdb connection of its
 * own to the same SQLite file, one per repdb_t, kept to the end of the
 * process.  Delete this file when merging the real repdb_hdb() (the
 * duplicate symbol makes the link say so).
 */
#include "repdb.h"

#include "../history/hdb.h"
#include "../util/log.h"

hdb_t *repdb_hdb(repdb_t *db);

hdb_t *repdb_hdb(repdb_t *db)
{
	static struct { repdb_t *db; hdb_t *h; } open[16];
	char err[HDB_ERR_MAX];
	size_t i;

	for (i = 0; i < 16 && open[i].db != NULL; i++)
		if (open[i].db == db)
			return open[i].h;
	if (i == 16)
		return NULL;
	open[i].db = db;
	open[i].h = hdb_open(repdb_path(db), 0, err, sizeof(err), NULL);
	if (open[i].h == NULL)
		log_err("%s: %s", repdb_path(db), err);
	return open[i].h;
}
