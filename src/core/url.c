/*
 * URLs of the network targets (probes, the limiter's Redis): split into
 * parts with percent-decoding, plus the one reading of a redis:// URL that
 * `ciguard wait` and `ciguard slots` share. A hand-written splitter: the
 * inputs are short command-line strings, and no Debian library we use
 * exports one (libcurl's URL API would do the splitting but not the
 * user-without-password rules below).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"
#include "core/url.h"
#include "core/banned.h"

static char *percent_decode(const char *s, size_t n)
{
	char *out = cg_xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && cg_hex_value(s[i + 1]) >= 0 &&
		    cg_hex_value(s[i + 2]) >= 0) {
			*o++ = (char)(cg_hex_value(s[i + 1]) * 16 +
				      cg_hex_value(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

void cg_url_release(struct cg_url *u)
{
	free(u->scheme);
	free(u->user);
	free(u->password);
	free(u->host);
	free(u->path);
	free(u->query);
	memset(u, 0, sizeof(*u));
}

int cg_url_parse(struct cg_url *out, const char *s, char *err, size_t errlen)
{
	const char *p = strstr(s, "://"), *auth, *auth_end, *at, *hp, *hp_end;
	const char *colon;

	memset(out, 0, sizeof(*out));
	if (!p || p == s) {
		snprintf(err, errlen, "not a URL (scheme://host:port)");
		return -1;
	}
	out->scheme = cg_xstrndup(s, (size_t)(p - s));
	for (char *c = out->scheme; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	auth = p + 3;
	auth_end = auth + strcspn(auth, "/?#");
	/* user:pass@ — the last '@' before the path ends the user info */
	at = NULL;
	for (const char *c = auth; c < auth_end; c++)
		if (*c == '@')
			at = c;
	hp = auth;
	if (at) {
		colon = memchr(auth, ':', (size_t)(at - auth));
		if (colon) {
			out->user =
			    percent_decode(auth, (size_t)(colon - auth));
			out->password =
			    percent_decode(colon + 1, (size_t)(at - colon - 1));
		} else {
			out->user = percent_decode(auth, (size_t)(at - auth));
		}
		hp = at + 1;
	}
	hp_end = auth_end;
	if (hp < hp_end && *hp == '[') {
		const char *rb = memchr(hp, ']', (size_t)(hp_end - hp));

		if (!rb) {
			snprintf(err, errlen, "unterminated '[' in the host");
			cg_url_release(out);
			return -1;
		}
		out->host = cg_xstrndup(hp + 1, (size_t)(rb - hp - 1));
		colon = rb + 1 < hp_end && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(hp, ':', (size_t)(hp_end - hp));
		out->host =
		    percent_decode(hp, (size_t)((colon ? colon : hp_end) - hp));
	}
	if (colon) {
		char *end;
		long port = strtol(colon + 1, &end, 10);

		if (end != hp_end || port < 1 || port > 65535) {
			/* echo only digits: "user:secret" with the "@host"
			 * forgotten would put a password here */
			if (end == hp_end && end > colon + 1)
				snprintf(err, errlen, "bad port '%.*s'",
					 (int)(hp_end - colon - 1), colon + 1);
			else
				snprintf(err, errlen,
					 "bad port (want a number from 1 to "
					 "65535)");
			cg_url_release(out);
			return -1;
		}
		out->port = (int)port;
	}
	if (*auth_end == '/') {
		size_t n = strcspn(auth_end, "?#");

		out->path = cg_xstrndup(auth_end, n);
		auth_end += n;
	} else {
		out->path = cg_xstrdup("");
	}
	if (*auth_end == '?') {
		size_t n = strcspn(auth_end + 1, "#");

		out->query = cg_xstrndup(auth_end + 1, n);
	}
	return 0;
}

char *cg_url_query_get(const char *query, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = query; p && *p;) {
		size_t n = strcspn(p, "&");

		if (n > klen && !strncmp(p, key, klen) && p[klen] == '=')
			return percent_decode(p + klen + 1, n - klen - 1);
		if (n == klen && !strncmp(p, key, klen))
			return cg_xstrdup("");
		p += n;
		if (*p == '&')
			p++;
	}
	return NULL;
}

/* ?ssl_ca_certs= and ?ssl_cert_reqs=: 0, or -1 with err. */
static int tls_params(struct cg_redis_url *out, char *err, size_t errlen)
{
	char *ca = cg_url_query_get(out->url.query, "ssl_ca_certs");
	char *reqs = cg_url_query_get(out->url.query, "ssl_cert_reqs");
	int rc = -1;

	if ((ca || reqs) && !out->tls) {
		snprintf(err, errlen,
			 "%s applies to TLS: use rediss:// for it (redis:// "
			 "is plain text)",
			 ca ? "ssl_ca_certs" : "ssl_cert_reqs");
		goto out;
	}
	if (ca && !*ca) {
		snprintf(err, errlen, "ssl_ca_certs needs a file name");
		goto out;
	}
	if (reqs && !strcasecmp(reqs, "none"))
		out->no_verify = true;
	else if (reqs && strcasecmp(reqs, "required") != 0 &&
		 strcasecmp(reqs, "optional") != 0) {
		snprintf(err, errlen,
			 "ssl_cert_reqs is none, optional or required, not "
			 "'%s'",
			 reqs);
		goto out;
	}
	out->ca_file = ca;
	ca = NULL;
	rc = 0;
out:
	free(ca);
	free(reqs);
	return rc;
}

int cg_redis_url_parse(struct cg_redis_url *out, const char *s, char *err,
		       size_t errlen)
{
	const char *digits;
	char *end;

	memset(out, 0, sizeof(*out));
	if (cg_url_parse(&out->url, s, err, errlen) < 0)
		return -1;
	out->tls = !strcmp(out->url.scheme, "rediss");
	if (strcmp(out->url.scheme, "redis") != 0 && !out->tls) {
		snprintf(err, errlen, "must start with redis:// or rediss://");
		goto bad;
	}
	if (!*out->url.host) {
		snprintf(err, errlen, "%s:// needs a host", out->url.scheme);
		goto bad;
	}
	if (!out->url.port)
		out->url.port = CG_REDIS_DEFAULT_PORT;
	if (out->url.query && tls_params(out, err, errlen) < 0)
		goto bad;
	digits = out->url.path + (*out->url.path == '/');
	if (!*digits)
		return 0;
	errno = 0;
	out->db = strtol(digits, &end, 10);
	if (*digits < '0' || *digits > '9' || *end || errno ||
	    out->db > INT_MAX) {
		snprintf(err, errlen,
			 "database '%s' is not a number (%s://host:port/DB)",
			 digits, out->url.scheme);
		goto bad;
	}
	return 0;
bad:
	cg_redis_url_release(out);
	return -1;
}

void cg_redis_url_release(struct cg_redis_url *u)
{
	cg_url_release(&u->url);
	free(u->ca_file);
	memset(u, 0, sizeof(*u));
}
