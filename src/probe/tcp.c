/*
 * tcp://HOST:PORT, and the connect every network probe starts with: every
 * address getaddrinfo returns is tried in turn (localhost may be ::1 first),
 * each with a non-blocking connect and poll, all within one time budget.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "probe/probe_int.h"
#include "core/banned.h"

static void set_io_timeout(int fd, int ms)
{
	struct timeval tv;

	if (ms < 1)
		ms = 1;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* One address: 0 connected, or an errno. */
static int connect_one(int fd, const struct addrinfo *ai, long deadline)
{
	int flags = fcntl(fd, F_GETFL, 0), err = 0;
	socklen_t len = sizeof(err);
	struct pollfd pfd = {fd, POLLOUT, 0};
	long left;

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		goto done;
	if (errno != EINPROGRESS)
		return errno;
	for (;;) {
		int r;

		left = deadline - cg_now_ms();
		if (left <= 0)
			return ETIMEDOUT;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno;
		if (r == 0)
			return ETIMEDOUT;
		break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	if (err)
		return err;
done:
	fcntl(fd, F_SETFL, flags);
	return 0;
}

int cg_tcp_connect(const char *host, int port, int timeout_ms, char *why,
		   size_t whylen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char service[16];
	long deadline = cg_now_ms() + timeout_ms;
	int rc, last = ECONNREFUSED;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(service, sizeof(service), "%d", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc == EAI_NONAME) {
		/* AI_ADDRCONFIG hides ::1 on a host with no IPv6 address */
		hints.ai_flags = 0;
		rc = getaddrinfo(host, service, &hints, &res);
	}
	if (rc) {
		snprintf(why, whylen, "cannot resolve '%s': %s", host,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
				ai->ai_protocol);

		if (fd < 0) {
			last = errno;
			continue;
		}
		if ((last = connect_one(fd, ai, deadline)) == 0) {
			freeaddrinfo(res);
			set_io_timeout(fd, (int)(deadline - cg_now_ms()));
			return fd;
		}
		close(fd);
		if (last == ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	snprintf(why, whylen, "connect to %s:%d: %s", host, port,
		 last == ETIMEDOUT ? "timed out" : strerror(last));
	return -1;
}

int cg_poll_fd(int fd, short events, long deadline)
{
	struct pollfd pfd = {fd, events, 0};

	for (;;) {
		long left = deadline - cg_now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -1 : r > 0;
	}
}

struct tcp_state {
	struct cg_url url;
};

static int tcp_init(struct cg_probe *p, char *err, size_t errlen)
{
	struct tcp_state *st = cg_xcalloc(1, sizeof(*st));

	p->state = st;
	if (cg_url_parse(&st->url, p->target, err, errlen) < 0)
		return -1;
	if (!*st->url.host || !st->url.port) {
		snprintf(err, errlen, "tcp:// needs a host and a port");
		return -1;
	}
	return 0;
}

static enum cg_probe_result tcp_attempt(struct cg_probe *p, int timeout_ms)
{
	struct tcp_state *st = p->state;
	int fd = cg_tcp_connect(st->url.host, st->url.port, timeout_ms,
				p->last_error, sizeof(p->last_error));

	if (fd < 0)
		return CG_PROBE_NOT_READY;
	close(fd);
	return CG_PROBE_READY;
}

static void tcp_release(struct cg_probe *p)
{
	struct tcp_state *st = p->state;

	if (!st)
		return;
	cg_url_release(&st->url);
	free(st);
}

const struct cg_probe_kind cg_probe_tcp = {"tcp://", tcp_init, tcp_attempt,
					   tcp_release};
