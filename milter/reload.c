/*
 * reload - sigwait() interposer: SIGHUP runs the reload callback.  See
 * reload.h for why this exists.
 */
#include "reload.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>

static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;
static reload_fn reload_callback;
static void *reload_arg;
static unsigned long reload_done;

void reload_install(reload_fn fn, void *arg)
{
	pthread_mutex_lock(&reload_lock);
	reload_callback = fn;
	reload_arg = arg;
	pthread_mutex_unlock(&reload_lock);
}

unsigned long reload_count(void)
{
	unsigned long n;

	pthread_mutex_lock(&reload_lock);
	n = reload_done;
	pthread_mutex_unlock(&reload_lock);
	return n;
}

/* Run the callback if one is installed; false when there is none.  The
 * lock is held while it runs, so reload_install() cannot pull the
 * argument away under it. */
static int reload_run(void)
{
	pthread_mutex_lock(&reload_lock);
	if (reload_callback == NULL) {
		pthread_mutex_unlock(&reload_lock);
		return 0;
	}
	reload_callback(reload_arg);
	reload_done++;
	pthread_mutex_unlock(&reload_lock);
	return 1;
}

/* The interposer (see reload.h).  POSIX: returns 0 with *sig set, or an
 * error number; errno is left as it was. */
int sigwait(const sigset_t *restrict set, int *restrict sig)
{
	int saved = errno, s, rc;

	for (;;) {
		s = sigwaitinfo(set, NULL);
		if (s < 0) {
			if (errno == EINTR)
				continue;
			rc = errno;
			errno = saved;
			return rc;
		}
		if (s == SIGHUP && reload_run())
			continue;
		*sig = s;
		errno = saved;
		return 0;
	}
}
