/*
 * reload - SIGHUP reloads instead of stopping the daemon.
 *
 * SYNOPSIS
 *	reload_install(callback, arg);     before smfi_main()
 *	... SIGHUP: callback(arg) runs in libmilter's signal thread
 *	reload_count();
 *
 * DESCRIPTION
 *	libmilter (smfi_main) starts its own signal thread, which blocks
 *	SIGHUP, SIGTERM and SIGINT and sigwait()s for them, and treats
 *	SIGHUP exactly like SIGTERM: it stops the milter.  There is no hook
 *	to change that, and a signal handler cannot help, since the signals
 *	are blocked in every thread (process.h) and taken synchronously by
 *	that sigwait().
 *
 *	So the daemon interposes sigwait() itself: this module defines
 *	int sigwait(const sigset_t *, int *), and as the executable's
 *	definition comes first in the dynamic linker's symbol lookup,
 *	libmilter.so's call binds to it (libmilter references the unversioned
 *	glibc symbol; an executable without version definitions satisfies
 *	it).  The replacement waits with sigwaitinfo(); when it receives
 *	SIGHUP while a callback is installed, it calls the callback and
 *	waits again; every other signal (and SIGHUP when no callback is
 *	installed) is returned to the caller as sigwait() would, so SIGTERM
 *	and SIGINT keep stopping the milter the way libmilter means to.
 *	main.c references this module (reload_install), which keeps its
 *	object file, and with it the interposer, in the link.
 *
 *	The callback runs in the signal thread, not in a signal handler: it
 *	may allocate, read files, log and take locks.  It must not block
 *	for long (SIGTERM waits behind it) and must make the new state
 *	visible by swapping one pointer, so milter threads never wait for
 *	it and in-flight messages keep the state they started with.  The
 *	daemon installs reconfig_sighup() (reconfig.h), which loads
 *	dmarcwarden.conf again and publishes it as a new generation
 *	(generation.h).  Connections are never dropped.  SIGHUPs that
 *	arrive while the callback runs are merged by the kernel into one
 *	more run (a pending signal is counted once).
 *
 *	reload_count() says how many SIGHUPs were handled (for tests and
 *	logs).  reload_install(NULL, NULL) removes the callback.
 *
 * BUGS
 *	Relies on libmilter calling sigwait() through the dynamic symbol
 *	table (true of Debian's libmilter.so and of a static libmilter.a
 *	alike; a libmilter built to call sigtimedwait() directly would stop
 *	on SIGHUP again, which the reload test would catch).
 */
#ifndef MILTER_RELOAD_H
#define MILTER_RELOAD_H

typedef void (*reload_fn)(void *arg);

void reload_install(reload_fn fn, void *arg);
unsigned long reload_count(void);

#endif
