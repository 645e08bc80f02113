/*
 * workq - work queue on a bounded pool of threads.  See workq.h.
 */
#include "workq.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct workq_node {
	struct workq_node *next;
	void *item;
} workq_node_t;

/* A FIFO of nodes. */
typedef struct workq_list {
	workq_node_t *head, *tail;
} workq_list_t;

struct workq {
	workq_fn run;
	const void *ctx;
	pthread_mutex_t mu;
	pthread_cond_t more, finished;
	workq_list_t todo, fin;
	size_t inflight;             /* submitted, not yet collected */
	bool stop;
	unsigned nthreads;
	pthread_t th[];
};

static void list_put(workq_list_t *l, workq_node_t *n)
{
	n->next = NULL;
	if (l->tail)
		l->tail->next = n;
	else
		l->head = n;
	l->tail = n;
}

static workq_node_t *list_take(workq_list_t *l)
{
	workq_node_t *n = l->head;

	if (n != NULL && (l->head = n->next) == NULL)
		l->tail = NULL;
	return n;
}

/* Under the lock: a finished item goes on the done list. */
static void finished(workq_t *q, workq_node_t *n)
{
	list_put(&q->fin, n);
	pthread_cond_signal(&q->finished);
}

static void *worker(void *arg)
{
	workq_t *q = arg;
	workq_node_t *n;

	pthread_mutex_lock(&q->mu);
	while (!q->stop || q->todo.head != NULL) {
		if ((n = list_take(&q->todo)) == NULL) {
			pthread_cond_wait(&q->more, &q->mu);
			continue;
		}
		pthread_mutex_unlock(&q->mu);
		q->run(q->ctx, n->item);
		pthread_mutex_lock(&q->mu);
		finished(q, n);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

workq_t *workq_new(workq_fn run, const void *ctx, unsigned nthreads)
{
	workq_t *q = calloc(1, sizeof(*q) + nthreads * sizeof(pthread_t));

	if (q == NULL)
		abort();
	q->run = run;
	q->ctx = ctx;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->more, NULL);
	pthread_cond_init(&q->finished, NULL);
	for (unsigned i = 0; i < nthreads; i++) {
		if (pthread_create(&q->th[i], NULL, worker, q) != 0)
			break;          /* fewer threads; 0 runs inline */
		q->nthreads++;
	}
	return q;
}

void workq_submit(workq_t *q, void *item)
{
	workq_node_t *n = malloc(sizeof(*n));

	if (n == NULL)
		abort();
	n->item = item;
	if (q->nthreads == 0)
		q->run(q->ctx, item);
	pthread_mutex_lock(&q->mu);
	q->inflight++;
	if (q->nthreads == 0) {
		finished(q, n);
	} else {
		list_put(&q->todo, n);
		pthread_cond_signal(&q->more);
	}
	pthread_mutex_unlock(&q->mu);
}

void *workq_done(workq_t *q, bool wait)
{
	workq_node_t *n;
	void *item = NULL;

	pthread_mutex_lock(&q->mu);
	while (wait && q->fin.head == NULL && q->inflight > 0)
		pthread_cond_wait(&q->finished, &q->mu);
	if ((n = list_take(&q->fin)) != NULL) {
		q->inflight--;
		item = n->item;
		free(n);
	}
	pthread_mutex_unlock(&q->mu);
	return item;
}

size_t workq_inflight(workq_t *q)
{
	size_t n;

	pthread_mutex_lock(&q->mu);
	n = q->inflight;
	pthread_mutex_unlock(&q->mu);
	return n;
}

unsigned workq_threads(const workq_t *q)
{
	return q->nthreads;
}

void workq_free(workq_t *q, void (*drop)(void *item))
{
	void *item;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_broadcast(&q->more);
	pthread_mutex_unlock(&q->mu);
	for (unsigned i = 0; i < q->nthreads; i++)
		pthread_join(q->th[i], NULL);
	while ((item = workq_done(q, false)) != NULL)
		if (drop != NULL)
			drop(item);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->more);
	pthread_cond_destroy(&q->finished);
	free(q);
}
