/*
 * core/net.h: the one way ciguard talks TCP to a server it speaks a
 * protocol with (Redis, for the redis:// probe and the limiter): connect
 * within a time budget, then read and write under a deadline, in plain
 * text or in TLS.
 *
 * TLS is OpenSSL, loaded on first use (core/dynlib.h), working over our own
 * non-blocking socket through two memory BIOs: OpenSSL encrypts into one
 * and decrypts from the other, and every byte on the wire goes through
 * send(MSG_NOSIGNAL) and recv() under poll() here. So one deadline bounds
 * a whole exchange, the handshake included, and a reset connection never
 * raises SIGPIPE.
 *
 * Certificates are verified by default (the chain against the system's
 * store or a given CA file, and the host name or IP address the
 * connection was made to); SNI is sent for host names.
 *
 * Ownership: a cg_tls (the settings and the loaded CA certificates) is
 * made by cg_tls_new and freed by cg_tls_free; it may be shared by many
 * connections and threads, and must outlive them. A connection is made by
 * cg_conn_open and freed by cg_conn_close (NULL is fine). A connection is
 * used by one thread at a time. Nothing here prints.
 *
 * Errors: functions that can fail write a one-line reason into the
 * caller's buffer `err` (errlen bytes) and return one of the negative
 * codes below.
 */
#ifndef CG_CORE_NET_H
#define CG_CORE_NET_H

#include <stdbool.h>
#include <stddef.h>

enum {
	CG_NET_ERROR = -1,   /* refused, reset, unresolved...: try again */
	CG_NET_TIMEOUT = -2, /* the deadline passed */
	/* the TLS handshake failed for a reason retrying will not change
	 * by itself: the certificate did not verify, or the server does not
	 * speak TLS on that port */
	CG_NET_TLS = -3,
};

/*
 * TCP connect to host:port within timeout_ms, trying every address
 * getaddrinfo gives (IPv4 and IPv6). Returns a connected, blocking socket
 * with SO_RCVTIMEO/SO_SNDTIMEO set to the time left, or -1 with the reason
 * in `why` (ECONNREFUSED text, "cannot resolve ...").
 */
int cg_tcp_connect(const char *host, int port, int timeout_ms, char *why,
		   size_t whylen);

/*
 * Wait until fd has `events` (POLLIN, POLLOUT) or the monotonic `deadline`
 * (cg_now_ms) passes: 1 ready, 0 timed out, -1 with errno set.
 */
int cg_poll_fd(int fd, short events, long deadline);

/* ---- TLS settings ---- */

/* Where a CA file given nowhere else comes from (the library's users,
 * and the CLI, read it the same way). */
#define CG_REDIS_CACERT_ENV "CIGUARD_REDIS_CACERT"

struct cg_tls_options {
	/* PEM file of the CA certificates to trust; NULL: the system's */
	const char *ca_file;
	/* check neither the certificate nor the name (redis-py's
	 * ssl_cert_reqs=none): encrypted, but open to anyone in between */
	bool no_verify;
};

struct cg_tls;

/*
 * Load OpenSSL (first call) and the CA certificates. NULL with the reason
 * in err: OpenSSL missing, an unreadable or invalid CA file ("cannot read
 * CA file 'ca.pem': No such file or directory").
 */
struct cg_tls *cg_tls_new(const struct cg_tls_options *opt, char *err,
			  size_t errlen);
void cg_tls_free(struct cg_tls *tls);

/* ---- connections ---- */

struct cg_conn;

/*
 * Connect to host:port before `deadline` (cg_now_ms), and with `tls`
 * (NULL: plain text) do the TLS handshake. 0 with *out set, or a negative
 * code with the reason in err. The reason of a failed certificate check
 * names the check and what to do ("certificate verify failed: self-signed
 * certificate (trust its CA with --cacert FILE, ...)").
 */
int cg_conn_open(struct cg_conn **out, const char *host, int port,
		 const struct cg_tls *tls, long deadline, char *err,
		 size_t errlen);

/* Send all n bytes before `deadline`: 0, or a negative code. */
int cg_conn_write(struct cg_conn *c, const void *buf, size_t n, long deadline,
		  char *err, size_t errlen);

/*
 * Receive up to n bytes, waiting until `deadline` for the first: the
 * number of bytes (> 0), 0 when the server closed the connection, or a
 * negative code.
 */
long cg_conn_read(struct cg_conn *c, void *buf, size_t n, long deadline,
		  char *err, size_t errlen);

/*
 * cg_conn_read for the answer to a request just sent, which has hardly
 * ever arrived yet: on a plain connection it waits (poll) before the
 * recv, one system call fewer than trying first.
 */
long cg_conn_read_answer(struct cg_conn *c, void *buf, size_t n, long deadline,
			 char *err, size_t errlen);

/*
 * For a message about a plain-text connection that went wrong (the server
 * closed it, or answered something that is not the protocol): " (the
 * server speaks TLS here: use rediss://)" when its first byte looked like
 * TLS, " (a TLS port? use rediss://)" when it closed without a byte, else
 * "". Always "" for a TLS connection (or NULL).
 */
const char *cg_conn_plain_hint(const struct cg_conn *c, bool closed);

/* Close (a TLS connection says close_notify first, without waiting). */
void cg_conn_close(struct cg_conn *c);

#endif
