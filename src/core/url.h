/*
 * core/url.h: URLs of network targets split into parts, and the reading
 * of redis:// URLs shared by the probes and the limiter.
 */
#ifndef CG_CORE_URL_H
#define CG_CORE_URL_H

#include <stdbool.h>
#include <stddef.h>

/* A URL split into parts; strings owned, percent-decoded. */
struct cg_url {
	char *scheme;	/* lower-case */
	char *user;	/* NULL when absent */
	char *password; /* NULL when absent */
	char *host;	/* without [] for IPv6 */
	int port;	/* 0 when absent */
	char *path;	/* from the first '/', "" when absent */
	char *query;	/* after '?', NULL when absent */
};

/* 0, or -1 with the reason in err (never the password). */
int cg_url_parse(struct cg_url *out, const char *s, char *err, size_t errlen);
/* Free the parts (the struct itself is the caller's). */
void cg_url_release(struct cg_url *u);
/* Value of `key` in a query string (percent-decoded, caller frees). */
char *cg_url_query_get(const char *query, const char *key);

#define CG_REDIS_DEFAULT_PORT 6379

/*
 * redis://[USER[:PASS]@]HOST[:PORT][/DB], the way redis-py and go-redis
 * read it: a name without ':' is a user name, not a password (so no AUTH
 * is sent for it); the port defaults to 6379 and the database to 0.
 * rediss:// is the same over TLS, with redis-py's query parameters
 * ssl_ca_certs=FILE (the CA certificates to trust) and
 * ssl_cert_reqs=none|optional|required (none: no verification; optional
 * is required, as in Python's ssl module for a client). Those parameters
 * on a redis:// URL are an error: the user meant TLS. Other parameters
 * are ignored. 0, or -1 with the reason in err (never the password);
 * release with cg_redis_url_release.
 */
struct cg_redis_url {
	struct cg_url url; /* host non-empty, port set */
	long db;
	bool tls;	/* rediss:// */
	char *ca_file;	/* ?ssl_ca_certs=, NULL when absent */
	bool no_verify; /* ?ssl_cert_reqs=none */
};
int cg_redis_url_parse(struct cg_redis_url *out, const char *s, char *err,
		       size_t errlen);
void cg_redis_url_release(struct cg_redis_url *u);

#endif
