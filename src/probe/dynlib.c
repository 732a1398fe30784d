/*
 * Loading libcurl and libpq on first use (see dynlib.h for why).
 *
 * Each library is loaded under its own pthread_once: dlopen by soname
 * (RTLD_NOW, so that a broken install fails here and not at some later
 * call; RTLD_LOCAL, so that its symbols stay out of the global scope),
 * then dlsym for every entry of its table. The outcome, table or reason,
 * is kept for every later caller. A library is never dlclose()d: libcurl
 * and OpenSSL keep global state and exit handlers, and nothing tells us
 * when the last probe of the process is gone, so it stays until exit.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "probe/dynlib.h"
#include "core/banned.h"

/* dlsym returns a void *; POSIX promises it can hold a function pointer */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
	       "function pointers must fit in a void *");

struct symbol {
	const char *name;
	size_t offset; /* of its member in the table */
};

struct library {
	const char *soname;
	const char *package; /* Debian's, for the message */
	const char *name;    /* for the message */
	const struct symbol *symbols;
	size_t nsymbols;
	void *table;
	bool loaded;
	bool missing;  /* not loaded: the library or a function is missing */
	char why[256]; /* when not loaded */
};

static const struct symbol curl_symbols[] = {
#define X(fn) {"curl_" #fn, offsetof(struct cg_curl_api, fn)},
    CG_CURL_FUNCTIONS(X)
#undef X
};

static const struct symbol pq_symbols[] = {
#define X(fn) {"PQ" #fn, offsetof(struct cg_pq_api, fn)},
    CG_PQ_FUNCTIONS(X)
#undef X
};

static struct cg_curl_api curl_api;
static struct cg_pq_api pq_api;

static struct library curl_lib = {
    .soname = "libcurl.so.4",
    .package = "libcurl4",
    .name = "libcurl",
    .symbols = curl_symbols,
    .nsymbols = sizeof(curl_symbols) / sizeof(*curl_symbols),
    .table = &curl_api,
};
static struct library pq_lib = {
    .soname = "libpq.so.5",
    .package = "libpq5",
    .name = "libpq",
    .symbols = pq_symbols,
    .nsymbols = sizeof(pq_symbols) / sizeof(*pq_symbols),
    .table = &pq_api,
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static pthread_once_t pq_once = PTHREAD_ONCE_INIT;

/* dlsym may fail without a message (a symbol whose value is NULL) */
static const char *last_dlerror(void)
{
	const char *msg = dlerror();

	return msg ? msg : "unknown dynamic loader error";
}

static void load(struct library *lib)
{
	void *handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);

	if (!handle) {
		lib->missing = true;
		snprintf(lib->why, sizeof(lib->why), "%s", last_dlerror());
		return;
	}
	for (size_t i = 0; i < lib->nsymbols; i++) {
		void *fn;

		dlerror();
		fn = dlsym(handle, lib->symbols[i].name);
		if (!fn) {
			lib->missing = true;
			snprintf(lib->why, sizeof(lib->why), "%s",
				 last_dlerror());
			return;
		}
		/* copied, not cast: ISO C has no object-to-function cast */
		memcpy((char *)lib->table + lib->symbols[i].offset, &fn,
		       sizeof(fn));
	}
	lib->loaded = true;
}

static void load_curl(void)
{
	CURLcode rc;

	load(&curl_lib);
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
	load(&pq_lib);
}

/* The table, or NULL with the reason in err. */
static const void *outcome(const struct library *lib, const char *scheme,
			   char *err, size_t errlen)
{
	if (lib->loaded)
		return lib->table;
	if (lib->missing)
		snprintf(err, errlen, "%s targets need %s (%s): %s", scheme,
			 lib->name, lib->package, lib->why);
	else
		snprintf(err, errlen, "%s", lib->why);
	return NULL;
}

const struct cg_curl_api *cg_dynlib_curl(const char *scheme, char *err,
					 size_t errlen)
{
	pthread_once(&curl_once, load_curl);
	return outcome(&curl_lib, scheme, err, errlen);
}

const struct cg_pq_api *cg_dynlib_pq(const char *scheme, char *err,
				     size_t errlen)
{
	pthread_once(&pq_once, load_pq);
	return outcome(&pq_lib, scheme, err, errlen);
}
