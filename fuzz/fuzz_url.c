/*
 * libFuzzer target for URL splitting (probe targets, the limiter's Redis
 * URL): it must never crash, a redis:// URL it accepts has a host and a
 * port in range, and no error message may repeat the password.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "invariant violated: %s\n", what);
		abort();
	}
}

/* The message for `s` with its password (n bytes at off) blanked out
 * still holds `secret`: it is the message's own words, not a leak. */
static bool fixed_text(const char *s, size_t off, size_t n, const char *secret)
{
	char *blank = cg_xstrdup(s), err[256];
	struct cg_redis_url r;
	bool fixed = false;

	memset(blank + off, 'Q', n);
	if (cg_redis_url_parse(&r, blank, err, sizeof(err)) == 0)
		cg_redis_url_release(&r);
	else
		fixed = strstr(err, secret) != NULL;
	free(blank);
	return fixed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = cg_xstrndup((const char *)data, size);
	char err[256];
	struct cg_redis_url r;
	struct cg_url u;

	if (cg_url_parse(&u, s, err, sizeof(err)) == 0) {
		check(u.scheme && u.host && u.path, "missing parts");
		check(u.port >= 0 && u.port <= 65535, "port out of range");
		if (u.query) {
			char *v = cg_url_query_get(u.query, "a");

			free(v);
		}
		cg_url_release(&u);
	}
	if (cg_redis_url_parse(&r, s, err, sizeof(err)) == 0) {
		check(r.url.host[0] != '\0', "accepted without a host");
		check(r.url.port >= 1 && r.url.port <= 65535,
		      "port out of range");
		check(r.db >= 0, "negative database");
		cg_redis_url_release(&r);
	} else {
		/* the password of the user info (before the first / ? #
		 * after "://", up to the last '@') must not leak */
		const char *scheme = strstr(s, "://"), *auth, *end, *at = NULL;

		check(err[0] != '\0', "refused without a reason");
		if (scheme) {
			auth = scheme + 3;
			end = auth + strcspn(auth, "/?#");
			for (const char *c = auth; c < end; c++)
				if (*c == '@')
					at = c;
		}
		if (at) {
			const char *colon =
			    memchr(auth, ':', (size_t)(at - auth));

			if (colon && at - colon > 4) {
				char secret[64];
				size_t n = (size_t)(at - colon - 1);

				if (n < sizeof(secret)) {
					memcpy(secret, colon + 1, n);
					secret[n] = '\0';
					check(!strstr(err, secret) ||
						  fixed_text(s, colon + 1 - s,
							     n, secret),
					      "password in the message");
				}
			}
		}
	}
	free(s);
	return 0;
}
