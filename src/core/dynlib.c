/* Loading a shared library into a table of functions (see dynlib.h). */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "core/dynlib.h"
#include "core/banned.h"

/* dlsym may fail without a message (a symbol whose value is NULL) */
static const char *last_dlerror(void)
{
	const char *msg = dlerror();

	return msg ? msg : "unknown dynamic loader error";
}

void cg_dynlib_load(struct cg_dynlib *lib)
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

const void *cg_dynlib_outcome(const struct cg_dynlib *lib, const char *what,
			      char *err, size_t errlen)
{
	if (lib->loaded)
		return lib->table;
	if (lib->missing)
		snprintf(err, errlen, "%s need %s (%s): %s", what, lib->name,
			 lib->package, lib->why);
	else
		snprintf(err, errlen, "%s", lib->why);
	return NULL;
}
