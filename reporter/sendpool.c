/*
 * sendpool - parallel sends on a bounded pool of threads (workq.h).  See
 * sendpool.h.
 */
#include "sendpool.h"

#include <stdlib.h>

#include "workq.h"

struct sendpool {
	workq_t *q;
};

static void send_one(const void *tp, void *item)
{
	sendpool_item_t *it = item;

	it->status = transport_send(tp, it->sender, it->rcpt, it->msg,
	    it->len, it->why, sizeof(it->why));
}

sendpool_t *sendpool_new(const transport_t *tp, unsigned nthreads)
{
	sendpool_t *p = calloc(1, sizeof(*p));

	if (p == NULL)
		abort();
	if (nthreads > SENDPOOL_MAX)
		nthreads = SENDPOOL_MAX;
	p->q = workq_new(send_one, tp, nthreads);
	return p;
}

void sendpool_submit(sendpool_t *p, sendpool_item_t *it)
{
	workq_submit(p->q, it);
}

sendpool_item_t *sendpool_done(sendpool_t *p, bool wait)
{
	return workq_done(p->q, wait);
}

size_t sendpool_inflight(const sendpool_t *p)
{
	return workq_inflight(p->q);
}

unsigned sendpool_threads(const sendpool_t *p)
{
	return workq_threads(p->q);
}

void sendpool_free(sendpool_t *p)
{
	if (p == NULL)
		return;
	workq_free(p->q, NULL);     /* items not collected stay the caller's */
	free(p);
}
