/*
 * http:// and https://: one GET per attempt with libcurl's easy interface,
 * on a fresh handle (and so a fresh connection) each time, so that a server
 * which has just died is never reported ready over a kept-alive socket.
 *
 * Ready means: the final status is in the accepted set (default 200-299)
 * and, with expect_json "PATH=VALUE", the body is JSON whose field at the
 * dotted PATH has VALUE as its text form. Everything that goes wrong during
 * an attempt is NOT_READY (even a certificate that fails verification: it
 * may be replaced while we wait); only a bad URL or a bad option is an error,
 * and that is found by init.
 *
 * Redirects are followed (at most 5, http and https only) and the final
 * response is judged, unless the accepted statuses include a 3xx code: then
 * the redirect itself is the answer. Proxies from the environment are used
 * for other hosts but never for a loopback one. TLS is always verified,
 * against the system's CA store or the CA file of --cacert (ca_file).
 * The body is kept up to 1 MiB; a bigger one cannot be checked for JSON.
 *
 * libcurl is loaded by the first init (dynlib.h), not linked, and called
 * through the table that init keeps in the probe's state.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "probe/dynlib.h"
#include "probe/probe_int.h"
#include "core/banned.h"

#define BODY_CAP (1024 * 1024)
#define MAX_REDIRECTS 5L

struct status_range {
	long lo, hi;
};

struct http_state {
	const struct cg_curl_api *curl;
	struct cg_url url;
	bool loopback;
	struct status_range *ranges;
	size_t nranges, ranges_alloc;
	bool accepts_redirect; /* some 3xx is accepted: do not follow */
	char *json_path;       /* NULL: no body check */
	char *json_value;
	char *password_raw; /* as it appears in the target, for scrubbing */
};

struct response {
	struct cg_buf body;
	bool overflow;
};

static bool is_loopback(const char *host)
{
	unsigned char addr[16];
	size_t n = strlen(host);

	if (!strcasecmp(host, "localhost") ||
	    (n > 10 && !strcasecmp(host + n - 10, ".localhost")))
		return true;
	if (inet_pton(AF_INET, host, addr) == 1)
		return addr[0] == 127;
	if (inet_pton(AF_INET6, host, addr) == 1) {
		static const unsigned char one[16] = {[15] = 1};
		static const unsigned char v4mapped[12] = {
		    [10] = 0xff, [11] = 0xff};

		return !memcmp(addr, one, 16) ||
		       (!memcmp(addr, v4mapped, 12) && addr[12] == 127);
	}
	return false;
}

/* "200-299,401" -> ranges; -1 with err on anything else. */
static int parse_status(struct http_state *st, const char *spec, char *err,
			size_t errlen)
{
	const char *s = spec;

	for (;;) {
		char *end;
		long lo, hi;

		while (*s == ' ')
			s++;
		if (!isdigit((unsigned char)*s))
			goto bad;
		lo = strtol(s, &end, 10);
		hi = lo;
		s = end;
		if (*s == '-') {
			s++;
			if (!isdigit((unsigned char)*s))
				goto bad;
			hi = strtol(s, &end, 10);
			s = end;
		}
		if (lo < 100 || hi > 599 || lo > hi)
			goto bad;
		CG_GROW(st->ranges, st->ranges_alloc, st->nranges + 1);
		st->ranges[st->nranges].lo = lo;
		st->ranges[st->nranges].hi = hi;
		st->nranges++;
		if (lo <= 399 && hi >= 300)
			st->accepts_redirect = true;
		while (*s == ' ')
			s++;
		if (!*s)
			return 0;
		if (*s != ',')
			goto bad;
		s++;
	}
bad:
	snprintf(err, errlen,
		 "bad expected status '%s' (codes 100-599 and ranges, "
		 "e.g. '200-299,401')",
		 spec);
	return -1;
}

/* "checks.db.status=up" -> path and value; -1 with err when malformed. */
static int parse_expect_json(struct http_state *st, const char *spec, char *err,
			     size_t errlen)
{
	const char *eq = strchr(spec, '=');
	size_t n;

	if (!eq || eq == spec)
		goto bad;
	n = (size_t)(eq - spec);
	if (spec[0] == '.' || spec[n - 1] == '.')
		goto bad;
	for (size_t i = 1; i < n; i++)
		if (spec[i] == '.' && spec[i - 1] == '.')
			goto bad;
	st->json_path = cg_xstrndup(spec, n);
	st->json_value = cg_xstrdup(eq + 1);
	return 0;
bad:
	snprintf(err, errlen,
		 "bad expected JSON '%s' (PATH=VALUE with a dotted PATH, "
		 "e.g. 'status=ok' or 'checks.db=up')",
		 spec);
	return -1;
}

static int http_init(struct cg_probe *p, char *err, size_t errlen)
{
	struct http_state *st = cg_xcalloc(1, sizeof(*st));
	CURLU *u;
	CURLUcode uc;

	p->state = st;
	st->curl = cg_dynlib_curl(p->kind->prefix, err, errlen);
	if (!st->curl)
		return -1;
	if (cg_url_parse(&st->url, p->target, err, errlen) < 0)
		return -1;
	if (!*st->url.host) {
		snprintf(err, errlen, "%s:// needs a host", st->url.scheme);
		return -1;
	}
	/* let libcurl judge the whole URL now rather than at every attempt */
	u = st->curl->url();
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	uc = st->curl->url_set(u, CURLUPART_URL, p->target, 0);
	st->curl->url_cleanup(u);
	if (uc != CURLUE_OK) {
		snprintf(err, errlen, "bad URL: %s",
			 st->curl->url_strerror(uc));
		return -1;
	}
	st->loopback = is_loopback(st->url.host);
	if (st->url.password && *st->url.password) {
		const char *auth = strstr(p->target, "://") + 3;
		const char *auth_end = auth + strcspn(auth, "/?#");
		const char *at = NULL, *colon;

		for (const char *c = auth; c < auth_end; c++)
			if (*c == '@')
				at = c;
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon && colon + 1 < at)
			st->password_raw =
			    cg_xstrndup(colon + 1, (size_t)(at - colon - 1));
	}
	/* a CA file that is not there never will be: say so now (libcurl
	 * would only say "error setting certificate file" at each attempt) */
	if (p->ca_file && access(p->ca_file, R_OK) < 0) {
		snprintf(err, errlen, "cannot read CA file '%s': %s",
			 p->ca_file, strerror(errno));
		return -1;
	}
	if (parse_status(st, p->expect_status ? p->expect_status : "200-299",
			 err, errlen) < 0)
		return -1;
	if (p->expect_json &&
	    parse_expect_json(st, p->expect_json, err, errlen) < 0)
		return -1;
	return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct response *r = userdata;
	size_t n = size * nmemb;

	if (cg_buf_add(&r->body, data, n) < 0) {
		/* returning less than n makes libcurl stop the transfer */
		r->overflow = true;
		return 0;
	}
	return n;
}

static bool status_ok(const struct http_state *st, long code)
{
	for (size_t i = 0; i < st->nranges; i++)
		if (code >= st->ranges[i].lo && code <= st->ranges[i].hi)
			return true;
	return false;
}

/*
 * The start of a body as one printable line, for an error message ("" for
 * an HTML page: its first 80 bytes are markup that says nothing).
 */
static void body_excerpt(char *out, size_t outlen, const struct cg_buf *body)
{
	size_t o = 0, i = 0;
	bool space = false;

	while (i < body->len && isspace((unsigned char)body->buf[i]))
		i++;
	if (i < body->len && body->buf[i] == '<')
		i = body->len;
	for (; i < body->len && o + 5 < outlen && o < 80; i++) {
		unsigned char c = (unsigned char)body->buf[i];

		if (isspace(c)) {
			space = o > 0;
			continue;
		}
		if (space)
			out[o++] = ' ';
		space = false;
		out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (i < body->len && o + 3 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* The field at dotted `path`, or NULL; numeric segments index arrays. */
static json_t *json_at(json_t *root, const char *path)
{
	json_t *node = root;
	const char *s = path;

	while (node && *s) {
		size_t n = strcspn(s, ".");
		char *key = cg_xstrndup(s, n);

		if (json_is_object(node)) {
			node = json_object_get(node, key);
		} else if (json_is_array(node) &&
			   key[strspn(key, "0123456789")] == '\0') {
			node = json_array_get(node, strtoul(key, NULL, 10));
		} else {
			node = NULL;
		}
		free(key);
		s += n;
		if (*s == '.')
			s++;
	}
	return node;
}

/*
 * The text a user would write for a scalar: a string as it is, true, 3,
 * null. Caller frees; NULL for an object or an array.
 */
static char *json_text(const json_t *v)
{
	if (json_is_string(v))
		return cg_xstrndup(json_string_value(v), json_string_length(v));
	if (json_is_object(v) || json_is_array(v))
		return NULL;
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

static enum cg_probe_result check_json(struct cg_probe *p,
				       const struct http_state *st,
				       const struct response *r)
{
	json_error_t jerr;
	json_t *root, *v;
	char *text, *shown;
	enum cg_probe_result res;

	if (r->overflow)
		return cg_probe_fail(p, CG_PROBE_NOT_READY,
				     "body is larger than %d bytes, not "
				     "checked for '%s'",
				     BODY_CAP, st->json_path);
	root = json_loadb(r->body.buf, r->body.len, JSON_DECODE_ANY, &jerr);
	if (!root) {
		char excerpt[96];

		body_excerpt(excerpt, sizeof(excerpt), &r->body);
		return cg_probe_fail(p, CG_PROBE_NOT_READY,
				     "body is not JSON (%s)%s%s%s", jerr.text,
				     *excerpt ? ": '" : "", excerpt,
				     *excerpt ? "'" : "");
	}
	v = json_at(root, st->json_path);
	if (!v) {
		res = cg_probe_fail(p, CG_PROBE_NOT_READY,
				    "field '%s' is missing, expected \"%s\"",
				    st->json_path, st->json_value);
		goto out;
	}
	text = json_text(v);
	if (text && !strcmp(text, st->json_value)) {
		free(text);
		res = CG_PROBE_READY;
		goto out;
	}
	free(text);
	shown = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	res = cg_probe_fail(
	    p, CG_PROBE_NOT_READY, "field '%s' is %.100s%s, expected \"%s\"",
	    st->json_path, shown ? shown : "?",
	    shown && strlen(shown) > 100 ? "..." : "", st->json_value);
	free(shown);
out:
	json_decref(root);
	return res;
}

/* NO_PROXY for curl: loopback never goes through a proxy. */
static char *no_proxy_list(const struct http_state *st)
{
	const char *env = getenv("NO_PROXY");

	if (st->loopback)
		return cg_xstrdup("*");
	if (!env || !*env)
		env = getenv("no_proxy");
	if (env && !strcmp(env, "*"))
		return cg_xstrdup("*");
	return cg_xasprintf("%s%slocalhost,127.0.0.1,127.0.0.0/8,::1",
			    env ? env : "", env && *env ? "," : "");
}

static enum cg_probe_result http_attempt(struct cg_probe *p, int timeout_ms)
{
	struct http_state *st = p->state;
	const struct cg_curl_api *curl = st->curl;
	struct response r = {CG_BUF_INIT, false};
	char errbuf[CURL_ERROR_SIZE] = "";
	char *no_proxy = no_proxy_list(st);
	enum cg_probe_result res;
	CURLcode rc;
	long code = 0;
	CURL *h;

	cg_buf_init(&r.body, BODY_CAP);
	h = curl->easy_init();
	if (!h) {
		res = cg_probe_fail(p, CG_PROBE_NOT_READY,
				    "cannot create a libcurl handle");
		goto out;
	}
	curl->easy_setopt(h, CURLOPT_URL, p->target);
	curl->easy_setopt(h, CURLOPT_HTTPGET, 1L);
	curl->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl->easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl->easy_setopt(h, CURLOPT_NOPROXY, no_proxy);
	curl->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl->easy_setopt(h, CURLOPT_WRITEDATA, &r);
	curl->easy_setopt(h, CURLOPT_USERAGENT, "ciguard/" CIGUARD_VERSION);
	curl->easy_setopt(h, CURLOPT_FOLLOWLOCATION,
			  st->accepts_redirect ? 0L : 1L);
	curl->easy_setopt(h, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
	if (p->ca_file)
		curl->easy_setopt(h, CURLOPT_CAINFO, p->ca_file);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl->easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl->easy_setopt(h, CURLOPT_PROTOCOLS,
			  CURLPROTO_HTTP | CURLPROTO_HTTPS);
	curl->easy_setopt(h, CURLOPT_REDIR_PROTOCOLS,
			  CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
	rc = curl->easy_perform(h);
	/* a body over the cap still leaves a status to judge */
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && r.overflow)) {
		res =
		    cg_probe_fail(p, CG_PROBE_NOT_READY, "%s%s",
				  *errbuf ? errbuf : curl->easy_strerror(rc),
				  rc == CURLE_PEER_FAILED_VERIFICATION &&
					  strstr(errbuf, "certificate problem")
				      ? " (trust its CA with --cacert FILE)"
				      : "");
		goto out;
	}
	curl->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (!status_ok(st, code)) {
		char excerpt[96];

		body_excerpt(excerpt, sizeof(excerpt), &r.body);
		res = cg_probe_fail(
		    p, CG_PROBE_NOT_READY, "HTTP %ld (expected %s)%s%s", code,
		    p->expect_status ? p->expect_status : "200-299",
		    *excerpt ? ": " : "", excerpt);
		goto out;
	}
	res = st->json_path ? check_json(p, st, &r) : CG_PROBE_READY;
out:
	if (h)
		curl->easy_cleanup(h);
	cg_buf_release(&r.body);
	free(no_proxy);
	cg_probe_mask(p->last_error, sizeof(p->last_error), st->url.password);
	cg_probe_mask(p->last_error, sizeof(p->last_error), st->password_raw);
	return res;
}

static void http_release(struct cg_probe *p)
{
	struct http_state *st = p->state;

	if (!st)
		return;
	cg_url_release(&st->url);
	free(st->ranges);
	free(st->json_path);
	free(st->json_value);
	free(st->password_raw);
	free(st);
}

const struct cg_probe_kind cg_probe_http = {"http://", http_init, http_attempt,
					    http_release};
const struct cg_probe_kind cg_probe_https = {"https://", http_init,
					     http_attempt, http_release};
