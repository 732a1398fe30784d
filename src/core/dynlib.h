/*
 * core/dynlib.h: shared libraries loaded on first use, not linked.
 *
 * `ciguard check` must start fast: linking libcurl, libpq or OpenSSL maps
 * and relocates their libraries at every start (OpenSSL alone costs some
 * 5 ms here, against a 13 ms start), so the parts that need one load it
 * here and call it through a table of function pointers. A table's member
 * types come from the library's own headers (__typeof__ of each
 * declaration, see probe/dynlib.h and core/net.c), so a call through it is
 * checked as a direct call would be.
 *
 * A library is loaded once per process, under its own pthread_once: dlopen
 * by soname (RTLD_NOW, so that a broken install fails here and not at some
 * later call; RTLD_LOCAL, so that its symbols stay out of the global
 * scope), then dlsym of every entry of its table. The outcome, table or
 * reason, is kept for every later caller. A library is never dlclose()d:
 * libcurl and OpenSSL keep global state and exit handlers.
 */
#ifndef CG_CORE_DYNLIB_H
#define CG_CORE_DYNLIB_H

#include <stdbool.h>
#include <stddef.h>

/* dlsym returns a void *; POSIX promises it can hold a function pointer */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
	       "function pointers must fit in a void *");

struct cg_dynlib_symbol {
	const char *name; /* as dlsym knows it: "curl_easy_init" */
	size_t offset;	  /* of its member in the table */
};

struct cg_dynlib {
	const char *soname;  /* "libssl.so.3" */
	const char *package; /* Debian's, for the message: "libssl3" */
	const char *name;    /* for the message: "OpenSSL" */
	const struct cg_dynlib_symbol *symbols;
	size_t nsymbols;
	void *table; /* filled in by cg_dynlib_load */
	/* what cg_dynlib_load found */
	bool loaded;
	bool missing;  /* the library or one of its functions is missing */
	char why[256]; /* when not loaded */
};

/*
 * dlopen lib->soname and fill lib->table. Call it once (pthread_once);
 * afterwards lib->loaded, or lib->missing and lib->why say how it went.
 */
void cg_dynlib_load(struct cg_dynlib *lib);

/*
 * After cg_dynlib_load: the table, or NULL with the reason in err (at most
 * errlen bytes): "rediss:// targets need OpenSSL (libssl3): libssl.so.3:
 * cannot open shared object file ...". `what` names the users of the
 * library, for that message.
 */
const void *cg_dynlib_outcome(const struct cg_dynlib *lib, const char *what,
			      char *err, size_t errlen);

#endif
