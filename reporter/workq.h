/*
 * workq - a bounded pool of threads running one function over the items
 * handed to it, the finished items collected by the caller.
 *
 * SYNOPSIS
 *	workq_t *q = workq_new(run, ctx, nthreads);
 *	workq_submit(q, item);               does not block
 *	while ((item = workq_done(q, wait)) != NULL) use item;
 *	workq_inflight(q)                    submitted, not yet collected
 *	workq_free(q, drop);
 *
 * DESCRIPTION
 *	nthreads threads take the submitted items in order and call
 *	run(ctx, item) on each, at most nthreads at once; a finished item
 *	waits on the done list until workq_done() hands it back (wait: block
 *	until one is finished; NULL when none is in flight, or none is
 *	finished and !wait).  Items come back in any order.  With nthreads
 *	0 (or when no thread could be started) there is no thread:
 *	workq_submit() runs the item at once, in the caller's thread.
 *
 *	The queue does not bound the items in flight: the caller keeps its
 *	own bound with workq_inflight().  ctx is shared read-only by the
 *	threads; an item belongs to the queue from workq_submit() until
 *	workq_done() returns it, and run() is the only code that touches it
 *	meanwhile.  The queue does no I/O of its own.
 *
 *	workq_free() lets the threads finish what is queued, joins them,
 *	and hands each item not collected to drop (NULL: leave them to
 *	their owner); q NULL is fine.  Allocation failure aborts.
 *
 *	Used by reportjob.c (building reports) and sendpool.c (sending
 *	them); each keeps its own item type and API over it.
 */
#ifndef REPORTER_WORKQ_H
#define REPORTER_WORKQ_H

#include <stdbool.h>
#include <stddef.h>

typedef struct workq workq_t;
typedef void (*workq_fn)(const void *ctx, void *item);

workq_t *workq_new(workq_fn run, const void *ctx, unsigned nthreads);
void workq_submit(workq_t *q, void *item);
void *workq_done(workq_t *q, bool wait);
size_t workq_inflight(workq_t *q);
unsigned workq_threads(const workq_t *q);
void workq_free(workq_t *q, void (*drop)(void *item));

#endif
