/*
 * libcurl and libpq, loaded on first use (between the files of src/probe
 * only). `ciguard check` must start fast, and linking these two maps some
 * thirty libraries (TLS, Kerberos, LDAP) at every start; so the binary does
 * not link them, and the probes that need them call through these tables.
 *
 * The types come from the libraries' own headers (__typeof__ of each
 * declaration), so a call through a table is checked as a direct call would
 * be. A member is named after its function without the library's prefix:
 * curl.h defines curl_easy_setopt and curl_easy_getinfo as function-like
 * macros, which a member of that name would set off.
 */
#ifndef CG_PROBE_DYNLIB_H
#define CG_PROBE_DYNLIB_H

#include <stddef.h>

#include <curl/curl.h>
#include <libpq-fe.h>

/* Every libcurl function http.c calls, without "curl_", once. */
#define CG_CURL_FUNCTIONS(X)                                                   \
	X(global_init)                                                         \
	X(easy_init)                                                           \
	X(easy_setopt)                                                         \
	X(easy_perform)                                                        \
	X(easy_getinfo)                                                        \
	X(easy_cleanup)                                                        \
	X(easy_strerror)                                                       \
	X(url)                                                                 \
	X(url_set)                                                             \
	X(url_cleanup)                                                         \
	X(url_strerror)

/* Every libpq function postgres.c calls, without "PQ", once. */
#define CG_PQ_FUNCTIONS(X)                                                     \
	X(conninfoParse)                                                       \
	X(conninfoFree)                                                        \
	X(freemem)                                                             \
	X(pingParams)                                                          \
	X(connectStartParams)                                                  \
	X(connectPoll)                                                         \
	X(setErrorVerbosity)                                                   \
	X(status)                                                              \
	X(socket)                                                              \
	X(errorMessage)                                                        \
	X(connectionNeedsPassword)                                             \
	X(sendQuery)                                                           \
	X(isBusy)                                                              \
	X(consumeInput)                                                        \
	X(getResult)                                                           \
	X(resultStatus)                                                        \
	X(resStatus)                                                           \
	X(resultErrorField)                                                    \
	X(ntuples)                                                             \
	X(nfields)                                                             \
	X(getvalue)                                                            \
	X(clear)                                                               \
	X(finish)

struct cg_curl_api {
#define X(name) __typeof__(curl_##name) *name;
	CG_CURL_FUNCTIONS(X)
#undef X
};

struct cg_pq_api {
#define X(name) __typeof__(PQ##name) *name;
	CG_PQ_FUNCTIONS(X)
#undef X
};

/*
 * The first call loads libcurl.so.4, resolves every function of the table
 * and runs curl_global_init; later calls (from any thread) return the same
 * table, which lives until the process exits. NULL when the library, one
 * of its functions or its initialisation is missing, with the reason in
 * `err` (at most errlen bytes): "https:// targets need libcurl (libcurl4):
 * libcurl.so.4: cannot open shared object file ...". `scheme` names the
 * targets that need it, for that message.
 */
const struct cg_curl_api *cg_dynlib_curl(const char *scheme, char *err,
					 size_t errlen);

/* The same for libpq.so.5 (no initialisation of its own). */
const struct cg_pq_api *cg_dynlib_pq(const char *scheme, char *err,
				     size_t errlen);

#endif
