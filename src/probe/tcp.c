/*
 * tcp://HOST:PORT: a TCP connect (core/net.h: every address getaddrinfo
 * returns is tried in turn, localhost may be ::1 first, within one time
 * budget) succeeds.
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
