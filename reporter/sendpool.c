/*
 * sendpool - parallel sends on a bounded pool of threads.  See
 * sendpool.h.
 */
#include "sendpool.h"

#include <pthread.h>
#include <stdlib.h>

struct sendpool {
	const transport_t *tp;
	pthread_mutex_t mu;
	pthread_cond_t more, finished;
	sendpool_item_t *queue, *queue_tail, *fin;
	size_t inflight;             /* submitted, not yet collected */
	bool stop;
	unsigned nthreads;
	pthread_t th[];
};

static void send_one(const transport_t *tp, sendpool_item_t *it)
{
	it->status = transport_send(tp, it->sender, it->rcpt, it->msg,
	    it->len, it->why, sizeof(it->why));
}

/* Under the lock: a finished item goes on the done list. */
static void finished(sendpool_t *p, sendpool_item_t *it)
{
	it->next = p->fin;
	p->fin = it;
	pthread_cond_signal(&p->finished);
}

static void *sender(void *arg)
{
	sendpool_t *p = arg;
	sendpool_item_t *it;

	pthread_mutex_lock(&p->mu);
	while (!p->stop || p->queue != NULL) {
		if ((it = p->queue) == NULL) {
			pthread_cond_wait(&p->more, &p->mu);
			continue;
		}
		if ((p->queue = it->next) == NULL)
			p->queue_tail = NULL;
		pthread_mutex_unlock(&p->mu);
		send_one(p->tp, it);
		pthread_mutex_lock(&p->mu);
		finished(p, it);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

sendpool_t *sendpool_new(const transport_t *tp, unsigned nthreads)
{
	sendpool_t *p;

	if (nthreads > SENDPOOL_MAX)
		nthreads = SENDPOOL_MAX;
	if ((p = calloc(1, sizeof(*p) + nthreads * sizeof(pthread_t))) == NULL)
		abort();
	p->tp = tp;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->more, NULL);
	pthread_cond_init(&p->finished, NULL);
	for (unsigned i = 0; i < nthreads; i++) {
		if (pthread_create(&p->th[i], NULL, sender, p) != 0)
			break;          /* fewer threads; 0 sends inline */
		p->nthreads++;
	}
	return p;
}

void sendpool_submit(sendpool_t *p, sendpool_item_t *it)
{
	it->next = NULL;
	if (p->nthreads == 0)
		send_one(p->tp, it);
	pthread_mutex_lock(&p->mu);
	p->inflight++;
	if (p->nthreads == 0) {
		finished(p, it);
	} else {
		if (p->queue_tail)
			p->queue_tail->next = it;
		else
			p->queue = it;
		p->queue_tail = it;
		pthread_cond_signal(&p->more);
	}
	pthread_mutex_unlock(&p->mu);
}

sendpool_item_t *sendpool_done(sendpool_t *p, bool wait)
{
	sendpool_item_t *it = NULL;

	pthread_mutex_lock(&p->mu);
	while (wait && p->fin == NULL && p->inflight > 0)
		pthread_cond_wait(&p->finished, &p->mu);
	if ((it = p->fin) != NULL) {
		p->fin = it->next;
		p->inflight--;
	}
	pthread_mutex_unlock(&p->mu);
	return it;
}

size_t sendpool_inflight(const sendpool_t *p)
{
	size_t n;

	pthread_mutex_lock((pthread_mutex_t *)&p->mu);
	n = p->inflight;
	pthread_mutex_unlock((pthread_mutex_t *)&p->mu);
	return n;
}

unsigned sendpool_threads(const sendpool_t *p)
{
	return p->nthreads;
}

void sendpool_free(sendpool_t *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->th[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->more);
	pthread_cond_destroy(&p->finished);
	free(p);
}
