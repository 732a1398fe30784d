/*
 * Loading libcurl and libpq on first use (see dynlib.h for why), each
 * under its own pthread_once, by the loader of core/dynlib.h.
 */
#include <pthread.h>
#include <stdio.h>

#include "core/dynlib.h"
#include "probe/dynlib.h"
#include "core/banned.h"

static const struct cg_dynlib_symbol curl_symbols[] = {
#define X(fn) {"curl_" #fn, offsetof(struct cg_curl_api, fn)},
    CG_CURL_FUNCTIONS(X)
#undef X
};

static const struct cg_dynlib_symbol pq_symbols[] = {
#define X(fn) {"PQ" #fn, offsetof(struct cg_pq_api, fn)},
    CG_PQ_FUNCTIONS(X)
#undef X
};

static struct cg_curl_api curl_api;
static struct cg_pq_api pq_api;

static struct cg_dynlib curl_lib = {
    .soname = "libcurl.so.4",
    .package = "libcurl4",
    .name = "libcurl",
    .symbols = curl_symbols,
    .nsymbols = sizeof(curl_symbols) / sizeof(*curl_symbols),
    .table = &curl_api,
};
static struct cg_dynlib pq_lib = {
    .soname = "libpq.so.5",
    .package = "libpq5",
    .name = "libpq",
    .symbols = pq_symbols,
    .nsymbols = sizeof(pq_symbols) / sizeof(*pq_symbols),
    .table = &pq_api,
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static pthread_once_t pq_once = PTHREAD_ONCE_INIT;

static void load_curl(void)
{
	CURLcode rc;

	cg_dynlib_load(&curl_lib);
	if (!curl_lib.loaded)
		return;
	/* not thread-safe in older libcurl: this is the one place for it */
	rc = curl_api.global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		snprintf(curl_lib.why, sizeof(curl_lib.why),
			 "cannot initialise libcurl: %s",
			 curl_api.easy_strerror(rc));
		curl_lib.loaded = false;
	}
}

static void load_pq(void)
{
	cg_dynlib_load(&pq_lib);
}

const struct cg_curl_api *cg_dynlib_curl(const char *scheme, char *err,
					 size_t errlen)
{
	char what[32];

	pthread_once(&curl_once, load_curl);
	snprintf(what, sizeof(what), "%s targets", scheme);
	return cg_dynlib_outcome(&curl_lib, what, err, errlen);
}

const struct cg_pq_api *cg_dynlib_pq(const char *scheme, char *err,
				     size_t errlen)
{
	char what[32];

	pthread_once(&pq_once, load_pq);
	snprintf(what, sizeof(what), "%s targets", scheme);
	return cg_dynlib_outcome(&pq_lib, what, err, errlen);
}
