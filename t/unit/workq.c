/* Unit tests for reporter/workq.c: every item runs once and comes back,
 * at most nthreads at once, inline without threads, and workq_free()
 * finishes what is queued and drops what was not collected. */
#include "../../reporter/workq.h"
#include "../tap.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define NITEMS 200

typedef struct item {
	int runs;
	pthread_t by;
	bool dropped;
} item_t;

typedef struct ctx {
	atomic_int running, most;
	useconds_t pause;
} ctx_t;

static void run(const void *c, void *p)
{
	ctx_t *ctx = (ctx_t *)(uintptr_t)c;   /* counters only */
	item_t *it = p;
	int now = atomic_fetch_add(&ctx->running, 1) + 1, most;

	while ((most = atomic_load(&ctx->most)) < now &&
	    !atomic_compare_exchange_weak(&ctx->most, &most, now))
		;
	if (ctx->pause)
		usleep(ctx->pause);
	it->runs++;
	it->by = pthread_self();
	atomic_fetch_sub(&ctx->running, 1);
}

static void drop(void *p)
{
	((item_t *)p)->dropped = true;
}

static void test_threads(void)
{
	static item_t items[NITEMS];
	ctx_t ctx = { .pause = 1000 };
	workq_t *q = workq_new(run, &ctx, 4);
	int back = 0, once = 0, i;
	item_t *it;

	is_int(workq_threads(q), 4, "4 threads");
	for (i = 0; i < NITEMS; i++)
		workq_submit(q, &items[i]);
	while ((it = workq_done(q, true)) != NULL)
		back++;
	is_int(back, NITEMS, "every item came back");
	is_int(workq_inflight(q), 0, "none in flight");
	for (i = 0; i < NITEMS; i++)
		once += items[i].runs == 1 && !pthread_equal(items[i].by,
		    pthread_self());
	is_int(once, NITEMS, "each ran once, on a pool thread");
	ok(atomic_load(&ctx.most) <= 4, "at most 4 at once (%d)",
	    atomic_load(&ctx.most));
	ok(workq_done(q, true) == NULL, "wait with nothing in flight: NULL");
	workq_free(q, drop);
}

static void test_inline(void)
{
	item_t a = { 0 }, b = { 0 };
	ctx_t ctx = { 0 };
	workq_t *q = workq_new(run, &ctx, 0);

	is_int(workq_threads(q), 0, "no thread");
	workq_submit(q, &a);
	ok(a.runs == 1 && pthread_equal(a.by, pthread_self()),
	    "inline: ran in submit, in the caller's thread");
	is_int(workq_inflight(q), 1, "and waits to be collected");
	ok(workq_done(q, false) == &a, "collected");
	workq_submit(q, &b);
	workq_free(q, drop);
	ok(b.dropped && !a.dropped, "free drops only what was not collected");
}

static void test_free_drains(void)
{
	static item_t items[20];
	ctx_t ctx = { .pause = 2000 };
	workq_t *q = workq_new(run, &ctx, 2);
	int ran = 0, dropped = 0;

	for (int i = 0; i < 20; i++)
		workq_submit(q, &items[i]);
	workq_free(q, drop);
	for (int i = 0; i < 20; i++) {
		ran += items[i].runs == 1;
		dropped += items[i].dropped;
	}
	is_int(ran, 20, "free finishes the queued items");
	is_int(dropped, 20, "and hands each to drop");
	workq_free(NULL, drop);
}

int main(void)
{
	test_threads();
	test_inline();
	test_free_drains();
	return tap_done();
}
