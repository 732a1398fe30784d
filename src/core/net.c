/*
 * The transport of core/net.h: TCP connect with a time budget, and reads
 * and writes under a deadline on a non-blocking socket, in plain text or
 * through OpenSSL.
 *
 * TLS: OpenSSL never touches the socket. The SSL object reads from the
 * memory BIO `in` and writes to the memory BIO `out`; after every SSL call
 * what it wrote to `out` is sent (flush_out), and when it wants more input
 * (SSL_ERROR_WANT_READ) one recv() under poll() feeds `in` (fill_in). That
 * keeps every wait under our deadline (the handshake too), sends with
 * MSG_NOSIGNAL, and lets us see the first byte the server sent: a TLS
 * record starts with a content type from 20 to 23, so anything else means
 * the port speaks plain text (Redis answers a ClientHello with "-ERR").
 *
 * libssl.so.3 is loaded by the first cg_tls_new (core/dynlib.h): linked,
 * it would cost every start of `ciguard check` some 5 ms of relocations.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/core.h"
#include "core/dynlib.h"
#include "core/net.h"
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

/* ---- OpenSSL, loaded on first use ---- */

/* Every OpenSSL function used here, once (libssl's and libcrypto's: dlsym
 * on libssl's handle finds both). */
#define CG_SSL_FUNCTIONS(X)                                                    \
	X(TLS_client_method)                                                   \
	X(SSL_CTX_new)                                                         \
	X(SSL_CTX_free)                                                        \
	X(SSL_CTX_ctrl)                                                        \
	X(SSL_CTX_set_verify)                                                  \
	X(SSL_CTX_load_verify_locations)                                       \
	X(SSL_CTX_set_default_verify_paths)                                    \
	X(SSL_new)                                                             \
	X(SSL_free)                                                            \
	X(SSL_ctrl)                                                            \
	X(SSL_set_bio)                                                         \
	X(SSL_set1_host)                                                       \
	X(SSL_get0_param)                                                      \
	X(SSL_connect)                                                         \
	X(SSL_read)                                                            \
	X(SSL_write)                                                           \
	X(SSL_shutdown)                                                        \
	X(SSL_get_error)                                                       \
	X(SSL_get_verify_result)                                               \
	X(BIO_new)                                                             \
	X(BIO_free)                                                            \
	X(BIO_s_mem)                                                           \
	X(BIO_read)                                                            \
	X(BIO_write)                                                           \
	X(BIO_ctrl_pending)                                                    \
	X(X509_VERIFY_PARAM_set1_ip_asc)                                       \
	X(X509_verify_cert_error_string)                                       \
	X(ERR_get_error)                                                       \
	X(ERR_peek_error)                                                      \
	X(ERR_reason_error_string)                                             \
	X(ERR_clear_error)

/* Members are named without a prefix of their own: some OpenSSL names
 * are also function-like macros in some versions. */
struct ssl_api {
#define X(name) __typeof__(name) *f_##name;
	CG_SSL_FUNCTIONS(X)
#undef X
};

static const struct cg_dynlib_symbol ssl_symbols[] = {
#define X(name) {#name, offsetof(struct ssl_api, f_##name)},
    CG_SSL_FUNCTIONS(X)
#undef X
};

static struct ssl_api ssl_api;
static struct cg_dynlib ssl_lib = {
    .soname = "libssl.so.3",
    .package = "libssl3",
    .name = "OpenSSL",
    .symbols = ssl_symbols,
    .nsymbols = sizeof(ssl_symbols) / sizeof(*ssl_symbols),
    .table = &ssl_api,
};
static pthread_once_t ssl_once = PTHREAD_ONCE_INIT;

static void load_ssl(void)
{
	cg_dynlib_load(&ssl_lib);
}

#define S (&ssl_api)

/* ---- TLS settings ---- */

struct cg_tls {
	SSL_CTX *ctx;
	bool verify;
};

/* The reason of OpenSSL's first queued error ("protocol error" when it
 * has none), clearing the queue. */
static const char *ssl_reason(void)
{
	unsigned long e = S->f_ERR_get_error();
	const char *r = e ? S->f_ERR_reason_error_string(e) : NULL;

	S->f_ERR_clear_error();
	return r ? r : "protocol error";
}

struct cg_tls *cg_tls_new(const struct cg_tls_options *opt, char *err,
			  size_t errlen)
{
	struct cg_tls *tls;
	int ok;

	pthread_once(&ssl_once, load_ssl);
	if (!cg_dynlib_outcome(&ssl_lib, "TLS connections (rediss://)", err,
			       errlen))
		return NULL;
	if (opt->ca_file) {
		struct stat sb;

		/* OpenSSL's own message would be "system lib" */
		if (stat(opt->ca_file, &sb) < 0 || S_ISDIR(sb.st_mode)) {
			snprintf(err, errlen, "cannot read CA file '%s': %s",
				 opt->ca_file,
				 S_ISDIR(sb.st_mode) ? "a directory"
						     : strerror(errno));
			return NULL;
		}
	}
	tls = cg_xcalloc(1, sizeof(*tls));
	tls->verify = !opt->no_verify;
	S->f_ERR_clear_error();
	tls->ctx = S->f_SSL_CTX_new(S->f_TLS_client_method());
	if (!tls->ctx) {
		snprintf(err, errlen, "cannot make a TLS context: %s",
			 ssl_reason());
		goto bad;
	}
	/* SSL_CTX_set_min_proto_version, a macro over SSL_CTX_ctrl */
	S->f_SSL_CTX_ctrl(tls->ctx, SSL_CTRL_SET_MIN_PROTO_VERSION,
			  TLS1_2_VERSION, NULL);
	if (!tls->verify) {
		S->f_SSL_CTX_set_verify(tls->ctx, SSL_VERIFY_NONE, NULL);
		return tls;
	}
	S->f_SSL_CTX_set_verify(tls->ctx, SSL_VERIFY_PEER, NULL);
	if (opt->ca_file)
		ok = S->f_SSL_CTX_load_verify_locations(tls->ctx, opt->ca_file,
							NULL);
	else
		ok = S->f_SSL_CTX_set_default_verify_paths(tls->ctx);
	if (ok != 1) {
		if (opt->ca_file)
			snprintf(err, errlen,
				 "no CA certificate in '%s' (a PEM file): %s",
				 opt->ca_file, ssl_reason());
		else
			snprintf(err, errlen,
				 "cannot load the system's CA certificates: %s",
				 ssl_reason());
		goto bad;
	}
	return tls;
bad:
	cg_tls_free(tls);
	return NULL;
}

void cg_tls_free(struct cg_tls *tls)
{
	if (!tls)
		return;
	if (tls->ctx)
		S->f_SSL_CTX_free(tls->ctx);
	free(tls);
}

/* ---- connections ---- */

struct cg_conn {
	int fd;
	SSL *ssl;	/* NULL: plain text */
	BIO *in;	/* what the server sent, for OpenSSL (owned by ssl) */
	BIO *out;	/* what OpenSSL wants sent (owned by ssl) */
	int first_byte; /* -1 until the server sent one */
	char peer[300]; /* host:port, for messages */
};

static const char ca_hint[] = " (trust its CA with --cacert FILE, "
			      "?ssl_ca_certs=FILE or " CG_REDIS_CACERT_ENV ")";

/* Send all of buf before deadline: 0 or a negative code. */
static int send_all(struct cg_conn *c, const char *buf, size_t n, long deadline,
		    char *err, size_t errlen)
{
	size_t off = 0;

	while (off < n) {
		ssize_t k = send(c->fd, buf + off, n - off, MSG_NOSIGNAL);
		int w;

		if (k > 0) {
			off += (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(err, errlen, "%s", strerror(errno));
			return CG_NET_ERROR;
		}
		w = cg_poll_fd(c->fd, POLLOUT, deadline);
		if (w < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			return CG_NET_ERROR;
		}
		if (w == 0) {
			snprintf(err, errlen, "timed out");
			return CG_NET_TIMEOUT;
		}
	}
	return 0;
}

/* One recv() of what has arrived, waiting for it until deadline: bytes,
 * 0 at EOF, or a negative code. */
static long recv_some(struct cg_conn *c, void *buf, size_t n, long deadline,
		      char *err, size_t errlen)
{
	for (;;) {
		ssize_t k = recv(c->fd, buf, n, 0);
		int w;

		if (k > 0) {
			if (c->first_byte < 0)
				c->first_byte = *(unsigned char *)buf;
			return (long)k;
		}
		if (k == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(err, errlen, "%s", strerror(errno));
			return CG_NET_ERROR;
		}
		w = cg_poll_fd(c->fd, POLLIN, deadline);
		if (w < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			return CG_NET_ERROR;
		}
		if (w == 0) {
			snprintf(err, errlen, "timed out");
			return CG_NET_TIMEOUT;
		}
	}
}

/* Send what OpenSSL has written: 0 or a negative code. */
static int flush_out(struct cg_conn *c, long deadline, char *err, size_t errlen)
{
	char buf[16384];

	while (S->f_BIO_ctrl_pending(c->out) > 0) {
		int n = S->f_BIO_read(c->out, buf, (int)sizeof(buf));
		int rc;

		if (n <= 0)
			break;
		if ((rc = send_all(c, buf, (size_t)n, deadline, err, errlen)))
			return rc;
	}
	return 0;
}

/* Feed OpenSSL what has arrived: bytes, 0 at EOF, or a negative code. */
static long fill_in(struct cg_conn *c, long deadline, char *err, size_t errlen)
{
	char buf[16384];
	long n = recv_some(c, buf, sizeof(buf), deadline, err, errlen);

	if (n > 0)
		S->f_BIO_write(c->in, buf, (int)n);
	return n;
}

static bool looks_like_tls(int byte)
{
	/* change_cipher_spec, alert, handshake, application_data */
	return byte >= 20 && byte <= 23;
}

/* Why the handshake failed (SSL_connect answered `r`), into err. */
static int handshake_failure(struct cg_conn *c, int r, char *err, size_t errlen)
{
	int e = S->f_SSL_get_error(c->ssl, r);
	long v = S->f_SSL_get_verify_result(c->ssl);
	unsigned long code = S->f_ERR_peek_error();

	if (c->first_byte >= 0 && !looks_like_tls(c->first_byte)) {
		S->f_ERR_clear_error();
		snprintf(err, errlen,
			 "TLS handshake with %s: the server answered in plain "
			 "text, not TLS (a plain port? use redis:// for it)",
			 c->peer);
		return CG_NET_TLS;
	}
	if (v == X509_V_ERR_HOSTNAME_MISMATCH ||
	    v == X509_V_ERR_IP_ADDRESS_MISMATCH) {
		S->f_ERR_clear_error();
		snprintf(err, errlen,
			 "TLS handshake with %s: certificate verify failed: "
			 "%s (the server's certificate is not for the host "
			 "name or address in the URL)",
			 c->peer, S->f_X509_verify_cert_error_string(v));
		return CG_NET_TLS;
	}
	if (v != X509_V_OK) {
		S->f_ERR_clear_error();
		snprintf(err, errlen,
			 "TLS handshake with %s: certificate verify failed: "
			 "%s%s",
			 c->peer, S->f_X509_verify_cert_error_string(v),
			 ca_hint);
		return CG_NET_TLS;
	}
	if (e == SSL_ERROR_SSL || code) {
		snprintf(err, errlen, "TLS handshake with %s: %s", c->peer,
			 ssl_reason());
		return CG_NET_TLS;
	}
	S->f_ERR_clear_error();
	snprintf(err, errlen, "TLS handshake with %s failed (OpenSSL error %d)",
		 c->peer, e);
	return CG_NET_ERROR;
}

static int handshake(struct cg_conn *c, const char *host,
		     const struct cg_tls *tls, long deadline, char *err,
		     size_t errlen)
{
	unsigned char addr[16];
	bool ip = inet_pton(AF_INET, host, addr) == 1 ||
		  inet_pton(AF_INET6, host, addr) == 1;

	SSL *ssl;
	BIO *in, *out;

	S->f_ERR_clear_error();
	ssl = S->f_SSL_new(tls->ctx);
	in = S->f_BIO_new(S->f_BIO_s_mem());
	out = S->f_BIO_new(S->f_BIO_s_mem());
	if (!ssl || !in || !out) {
		S->f_SSL_free(ssl);
		S->f_BIO_free(in);
		S->f_BIO_free(out);
		snprintf(err, errlen, "TLS with %s: out of memory", c->peer);
		return CG_NET_ERROR;
	}
	S->f_SSL_set_bio(ssl, in, out); /* ssl owns them now */
	c->ssl = ssl;
	c->in = in;
	c->out = out;
	/* SNI: for host names only (RFC 6066 forbids addresses) */
	if (!ip)
		S->f_SSL_ctrl(c->ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME,
			      TLSEXT_NAMETYPE_host_name, (void *)host);
	if (tls->verify && (ip ? S->f_X509_VERIFY_PARAM_set1_ip_asc(
				     S->f_SSL_get0_param(c->ssl), host)
			       : S->f_SSL_set1_host(c->ssl, host)) != 1) {
		snprintf(err, errlen, "TLS with %s: cannot check the name '%s'",
			 c->peer, host);
		return CG_NET_ERROR;
	}
	for (;;) {
		int r = S->f_SSL_connect(c->ssl), rc;
		long n;

		/* the ClientHello, or the alert that ends a failed one */
		rc = flush_out(c, deadline, err, errlen);
		if (r == 1 && rc)
			return rc;
		if (r == 1)
			return 0;
		if (S->f_SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ)
			return handshake_failure(c, r, err, errlen);
		if (rc)
			return rc;
		n = fill_in(c, deadline, err, errlen);
		if (n == 0) {
			snprintf(err, errlen,
				 "TLS handshake with %s: the server closed the "
				 "connection",
				 c->peer);
			return CG_NET_ERROR;
		}
		if (n == CG_NET_TIMEOUT) {
			snprintf(err, errlen,
				 "TLS handshake with %s: no answer in time%s",
				 c->peer,
				 c->first_byte < 0
				     ? " (a plain port? use redis:// for it)"
				     : "");
			return CG_NET_TIMEOUT;
		}
		if (n < 0)
			return (int)n;
	}
}

int cg_conn_open(struct cg_conn **out, const char *host, int port,
		 const struct cg_tls *tls, long deadline, char *err,
		 size_t errlen)
{
	struct cg_conn *c;
	long left = deadline - cg_now_ms();
	int fd, rc;

	*out = NULL;
	if (left <= 0) {
		snprintf(err, errlen, "connect to %s:%d: timed out", host,
			 port);
		return CG_NET_TIMEOUT;
	}
	fd = cg_tcp_connect(host, port, left > INT_MAX ? INT_MAX : (int)left,
			    err, errlen);
	if (fd < 0)
		return strstr(err, "timed out") ? CG_NET_TIMEOUT : CG_NET_ERROR;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
	c = cg_xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->first_byte = -1;
	snprintf(c->peer, sizeof(c->peer), "%s%s%s:%d",
		 strchr(host, ':') ? "[" : "", host,
		 strchr(host, ':') ? "]" : "", port);
	if (tls && (rc = handshake(c, host, tls, deadline, err, errlen))) {
		cg_conn_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

int cg_conn_write(struct cg_conn *c, const void *buf, size_t n, long deadline,
		  char *err, size_t errlen)
{
	if (!c->ssl)
		return send_all(c, buf, n, deadline, err, errlen);
	while (n > 0) {
		int chunk = n > INT_MAX ? INT_MAX : (int)n;
		int r, rc;

		S->f_ERR_clear_error();
		/* into the memory BIO, which takes it all */
		r = S->f_SSL_write(c->ssl, buf, chunk);
		if (r <= 0) {
			snprintf(err, errlen, "TLS: %s", ssl_reason());
			return CG_NET_ERROR;
		}
		if ((rc = flush_out(c, deadline, err, errlen)))
			return rc;
		buf = (const char *)buf + r;
		n -= (size_t)r;
	}
	return 0;
}

long cg_conn_read(struct cg_conn *c, void *buf, size_t n, long deadline,
		  char *err, size_t errlen)
{
	int chunk = n > INT_MAX ? INT_MAX : (int)n;

	if (!c->ssl)
		return recv_some(c, buf, n, deadline, err, errlen);
	for (;;) {
		int r, e, rc;
		long got;

		S->f_ERR_clear_error();
		r = S->f_SSL_read(c->ssl, buf, chunk);
		/* a TLS 1.3 key update may want an answer */
		rc = flush_out(c, deadline, err, errlen);
		if (r > 0)
			return r;
		e = S->f_SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0; /* close_notify */
		if (e != SSL_ERROR_WANT_READ) {
			unsigned long code = S->f_ERR_peek_error();

			if (ERR_GET_REASON(code) ==
			    SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED) {
				S->f_ERR_clear_error();
				snprintf(err, errlen,
					 "the server wants a client "
					 "certificate (tls-auth-clients), "
					 "which ciguard does not send");
				return CG_NET_TLS;
			}
			snprintf(err, errlen, "TLS: %s",
				 code ? ssl_reason() : "connection lost");
			return CG_NET_ERROR;
		}
		if (rc)
			return rc;
		got = fill_in(c, deadline, err, errlen);
		if (got <= 0)
			return got;
	}
}

long cg_conn_read_answer(struct cg_conn *c, void *buf, size_t n, long deadline,
			 char *err, size_t errlen)
{
	if (!c->ssl) {
		int w = cg_poll_fd(c->fd, POLLIN, deadline);

		if (w < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			return CG_NET_ERROR;
		}
		if (w == 0) {
			snprintf(err, errlen, "timed out");
			return CG_NET_TIMEOUT;
		}
	}
	return cg_conn_read(c, buf, n, deadline, err, errlen);
}

const char *cg_conn_plain_hint(const struct cg_conn *c, bool closed)
{
	if (!c || c->ssl)
		return "";
	if (c->first_byte >= 0 && looks_like_tls(c->first_byte))
		return " (the server speaks TLS here: use rediss://)";
	if (closed && c->first_byte < 0)
		return " (a TLS port? use rediss://)";
	return "";
}

void cg_conn_close(struct cg_conn *c)
{
	if (!c)
		return;
	if (c->ssl) {
		char ignored[64];

		/* close_notify, sent if the socket takes it at once */
		S->f_ERR_clear_error();
		if (S->f_SSL_shutdown(c->ssl) >= 0)
			flush_out(c, cg_now_ms(), ignored, sizeof(ignored));
		S->f_ERR_clear_error();
		S->f_SSL_free(c->ssl); /* and the BIOs */
	}
	close(c->fd);
	free(c);
}
