/*
 * Probes: a table of kinds by target prefix, and the display form of a
 * target with its password masked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "probe/probe_int.h"
#include "core/banned.h"

static const struct cg_probe_kind *const kinds[] = {
#define CG_PROBE(name) &cg_probe_##name,
#include "probe/probes.def"
#undef CG_PROBE
};

enum cg_probe_result cg_probe_fail(struct cg_probe *p, enum cg_probe_result r,
				   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->last_error, sizeof(p->last_error), fmt, ap);
	va_end(ap);
	return r;
}

static bool alnum_at(const char *s, size_t i)
{
	unsigned char c = (unsigned char)s[i];

	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/*
 * Every occurrence of `secret` in `buf` as a word of its own (no letter or
 * digit right before or after it) becomes "***". A library's message
 * quotes a password whole (`password=s3cret`, `"s3cret"`, `:s3cret@`),
 * while a short one is also part of ordinary words: password "p" must not
 * turn "response" into "res***onse", nor "1" a port number.
 */
void cg_probe_mask(char *buf, size_t size, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0, at = 0;
	char *hit;

	if (!n || !size)
		return;
	/* search on after each "***": a secret like "*" must not loop */
	while (at < strlen(buf) && (hit = strstr(buf + at, secret))) {
		size_t i = (size_t)(hit - buf);
		char *rest;

		if ((i > 0 && alnum_at(buf, i - 1) && alnum_at(secret, 0)) ||
		    (alnum_at(buf, i + n) && alnum_at(secret, n - 1))) {
			at = i + 1;
			continue;
		}
		rest = cg_xstrdup(hit + n);
		snprintf(hit, size - i, "***%s", rest);
		free(rest);
		at = i + 3;
	}
}

/* scheme://user:SECRET@host -> scheme://user:***@host */
/* `s` with the value of each query parameter whose name ends in
 * "password" (libpq's password and sslpassword) shown as *** */
static char *mask_query(char *s)
{
	char *q = strchr(s, '?');
	struct cg_buf b = CG_BUF_INIT;
	const char *p;

	if (!q)
		return s;
	cg_buf_add(&b, s, (size_t)(q + 1 - s));
	for (p = q + 1; *p && *p != '#';) {
		size_t n = strcspn(p, "&#"), k = strcspn(p, "=&#");

		cg_buf_add(&b, p, k);
		if (p[k] == '=' && k >= 8 &&
		    !strncasecmp(p + k - 8, "password", 8))
			cg_buf_addstr(&b, "=***");
		else
			cg_buf_add(&b, p + k, n - k);
		p += n;
		if (*p == '&')
			cg_buf_addch(&b, *p++);
	}
	cg_buf_addstr(&b, p);
	free(s);
	return cg_buf_detach(&b, NULL);
}

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
		return mask_query(cg_xstrdup(target));
	return mask_query(
	    cg_xasprintf("%.*s***%s", (int)(colon + 1 - target), target, at));
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
			 "'%s': unknown target (tcp://, redis://, rediss://, "
			 "postgres://, http://, https://, proc:, pid:, log:)",
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
	if (opt && opt->ca_file && *opt->ca_file)
		p->ca_file = cg_xstrdup(opt->ca_file);
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
	free(p->ca_file);
	free(p);
}
