/*
 * listener - the milter socket.  See listener.h.
 */
#include "listener.h"

#include <errno.h>
#include <libmilter/mfapi.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../util/strbuf.h"
#include "../util/log.h"
#include "milter.h"
#include "process.h"

#define LISTENER_FD_SCAN 1024   /* libmilter's socket is among the first */

const char *listener_unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return NULL;
}

/* inet:PORT[@HOST] / inet6:PORT[@HOST]: family, port text, host or
 * NULL (every address).  -1 for anything else. */
static int inet_parts(const char *spec, int *family, char *port,
    size_t portlen, const char **host)
{
	const char *p, *at;

	if (strncmp(spec, "inet:", 5) == 0) {
		*family = AF_INET;
		p = spec + 5;
	} else if (strncmp(spec, "inet6:", 6) == 0) {
		*family = AF_INET6;
		p = spec + 6;
	} else {
		return -1;
	}
	at = strchr(p, '@');
	if (str_ncopy(port, portlen, p, at ? (size_t)(at - p) : strlen(p)) < 0)
		return -1;
	*host = at && at[1] ? at + 1 : NULL;
	return 0;
}

int listener_in_use(const char *spec, char *err, size_t errlen)
{
	const char *path = listener_unix_path(spec);
	struct sockaddr_un sun;
	int fd, rc;

	if (path == NULL)
		return 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (str_copy(sun.sun_path, sizeof(sun.sun_path), path) < 0)
		return 0;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc < 0)
		return 0;
	str_format(err, errlen, "Socket %s: a running process answers on it "
	    "(another dmarcwarden?)", spec);
	return 1;
}

/* The errno libmilter's failed bind() had, found by binding again. */
static int inet_bind_errno(const char *spec)
{
	struct addrinfo hints, *ai = NULL;
	const char *host;
	char port[8];
	int family, fd, one = 1, e = 0;

	if (inet_parts(spec, &family, port, sizeof(port), &host) < 0)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL)
		return EADDRNOTAVAIL;
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		e = errno;
	} else {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
			e = errno;
		close(fd);
	}
	freeaddrinfo(ai);
	return e;
}

/* Why a unix socket could not be created: its directory. */
static int unix_dir_errno(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	struct stat st;

	if (str_copy(dir, sizeof(dir), path) < 0)
		return ENAMETOOLONG;
	if ((slash = strrchr(dir, '/')) == NULL)
		return 0;
	slash[slash == dir ? 1 : 0] = '\0';
	if (stat(dir, &st) < 0)
		return errno;
	if (!S_ISDIR(st.st_mode))
		return ENOTDIR;
	if (access(dir, W_OK | X_OK) < 0)
		return errno;
	return 0;
}

static void open_failed(const char *spec)
{
	const char *path = listener_unix_path(spec);
	int e = path ? unix_dir_errno(path) : inet_bind_errno(spec);

	if (e != 0)
		log_err("cannot open milter socket %s: %s%s", spec,
		    strerror(e), path && e == ENOENT ?
		    " (create its directory first)" : "");
	else
		log_err("cannot open milter socket %s (libmilter's reason is "
		    "in the mail log)", spec);
}

/* Root created the socket: give it to UserID, whose group Postfix's
 * smtpd belongs to.  Started as UserID's user already (systemd User=),
 * the daemon can only change the group, as a member of it
 * (SupplementaryGroups=). */
static int unix_give_to_user(const config_t *cfg, const char *path)
{
	char err[512];
	uid_t uid;
	gid_t gid;

	if (cfg->user == NULL || cfg->user[0] == '\0')
		return 0;
	if (process_lookup_user(cfg->user, &uid, &gid, err, sizeof(err)) < 0) {
		log_err("%s", err);
		return -1;
	}
	if (geteuid() != 0) {
		if (geteuid() != uid || getegid() == gid)
			return 0;
		uid = (uid_t)-1;
	}
	if (chown(path, uid, gid) < 0) {
		log_err("cannot give milter socket %s to %s: %s%s", path,
		    cfg->user, strerror(errno), geteuid() != 0 ? " (the "
		    "daemon must be a member of the group)" : "");
		return -1;
	}
	return 0;
}

/* TCP_NODELAY on libmilter's listening TCP socket(s), which it does not
 * hand out: the listening stream sockets among our descriptors. */
static int tcp_nodelay_on_listener(void)
{
	int fd, on = 1, found = 0, val, dom;
	socklen_t len;

	for (fd = 0; fd < LISTENER_FD_SCAN; fd++) {
		len = sizeof(val);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &val, &len) < 0 ||
		    !val)
			continue;
		len = sizeof(dom);
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) < 0 ||
		    (dom != AF_INET && dom != AF_INET6))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on,
		    sizeof(on)) == 0)
			found++;
	}
	return found;
}

static int tcp_setup(const char *spec)
{
	const char *host;
	char port[8];
	int family;

	if (inet_parts(spec, &family, port, sizeof(port), &host) == 0 &&
	    host == NULL)
		log_warn("Socket %s listens on all addresses: any host that "
		    "reaches port %s can use the filter; give the address, "
		    "e.g. %s@127.0.0.1", spec, port, spec);
	if (tcp_nodelay_on_listener() == 0)
		log_warn("Socket %s: cannot set TCP_NODELAY; messages may wait "
		    "for delayed ACKs", spec);
	milter_reply_every_step(true);
	return 0;
}

int listener_open(const config_t *cfg, const char *spec)
{
	char err[256];
	const char *path = listener_unix_path(spec);
	mode_t old;
	int rc;

	if (listener_in_use(spec, err, sizeof(err))) {
		log_err("%s", err);
		return -1;
	}
	/* MilterTimeout: how long libmilter waits on the MTA (read or
	 * write) before it drops the connection; its own default is 7210 s. */
	if (smfi_setconn((char *)spec) != MI_SUCCESS ||
	    smfi_settimeout((int)cfg->milter_timeout) != MI_SUCCESS ||
	    milter_register() < 0) {
		log_err("cannot set up milter socket %s", spec);
		return -1;
	}
	old = umask((mode_t)cfg->umask);
	rc = smfi_opensocket(true);
	umask(old);
	if (rc != MI_SUCCESS) {
		open_failed(spec);
		return -1;
	}
	if (path != NULL)
		return unix_give_to_user(cfg, path);
	return tcp_setup(spec);
}
