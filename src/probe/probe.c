/*
 * Probes: a table of kinds by target prefix, URL parsing shared by the
 * network kinds, and the display form of a target with its password masked.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probe/probe_int.h"
#include "core/banned.h"

static const struct cg_probe_kind *const kinds[] = {
#define CG_PROBE(name) &cg_probe_##name,
#include "probe/probes.def"
#undef CG_PROBE
};

long cg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum cg_probe_result cg_probe_fail(struct cg_probe *p, enum cg_probe_result r,
				   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->last_error, sizeof(p->last_error), fmt, ap);
	va_end(ap);
	return r;
}

void cg_probe_mask(char *buf, size_t size, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0, at = 0;
	char *hit;

	if (!n || !size)
		return;
	/* search on after each "***": a secret like "*" must not loop */
	while (at < strlen(buf) && (hit = strstr(buf + at, secret))) {
		char *rest = cg_xstrdup(hit + n);

		at = (size_t)(hit - buf);
		snprintf(hit, size - at, "***%s", rest);
		free(rest);
		at += 3;
	}
}

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
			snprintf(err, errlen, "bad port '%.*s'",
				 (int)(hp_end - colon - 1), colon + 1);
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

/* scheme://user:SECRET@host -> scheme://user:***@host */
static char *mask_password(const char *target)
{
	const char *p = strstr(target, "://"), *auth_end, *at = NULL, *colon;

	if (!p)
		return cg_xstrdup(target);
	p += 3;
	auth_end = p + strcspn(p, "/?#");
	for (const char *c = p; c < auth_end; c++)
		if (*c == '@')
			at = c;
	if (!at || !(colon = memchr(p, ':', (size_t)(at - p))))
		return cg_xstrdup(target);
	return cg_xasprintf("%.*s***%s", (int)(colon + 1 - target), target, at);
}

struct cg_probe *cg_probe_new(const char *target,
			      const struct cg_probe_options *opt, char *err,
			      size_t errlen)
{
	struct cg_probe *p;
	const struct cg_probe_kind *kind = NULL;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		size_t n = strlen(kinds[i]->prefix);

		if (!strncasecmp(target, kinds[i]->prefix, n)) {
			kind = kinds[i];
			break;
		}
	}
	if (!kind) {
		char *shown = mask_password(target);

		snprintf(err, errlen,
			 "'%s': unknown target (tcp://, redis://, postgres://, "
			 "http://, https://, proc:, pid:, log:)",
			 shown);
		free(shown);
		return NULL;
	}
	p = cg_xcalloc(1, sizeof(*p));
	p->kind = kind;
	p->target = cg_xstrdup(target);
	p->display = mask_password(target);
	if (opt && opt->expect_status)
		p->expect_status = cg_xstrdup(opt->expect_status);
	if (opt && opt->expect_json)
		p->expect_json = cg_xstrdup(opt->expect_json);
	if (kind->init(p, err, errlen) < 0) {
		char *msg = cg_xasprintf("'%s': %s", p->display, err);

		snprintf(err, errlen, "%s", msg);
		free(msg);
		cg_probe_free(p);
		return NULL;
	}
	return p;
}

enum cg_probe_result cg_probe_attempt(struct cg_probe *p, int timeout_ms)
{
	p->last_error[0] = '\0';
	if (timeout_ms < 1)
		timeout_ms = 1;
	return p->kind->attempt(p, timeout_ms);
}

int cg_probe_open(struct cg_probe *p, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0 && errno == ENOENT)
		cg_probe_fail(p, CG_PROBE_NOT_READY, "'%s' does not exist yet",
			      path);
	else if (fd < 0)
		cg_probe_fail(p, CG_PROBE_NOT_READY, "cannot open '%s': %s",
			      path, strerror(errno));
	return fd;
}

const char *cg_probe_last_error(const struct cg_probe *p)
{
	return p->last_error;
}

const char *cg_probe_display(const struct cg_probe *p)
{
	return p->display;
}

void cg_probe_free(struct cg_probe *p)
{
	if (!p)
		return;
	if (p->kind && p->kind->release)
		p->kind->release(p);
	free(p->target);
	free(p->display);
	free(p->expect_status);
	free(p->expect_json);
	free(p);
}
