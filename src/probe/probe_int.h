/* Between the files of src/probe only. */
#ifndef CG_PROBE_INT_H
#define CG_PROBE_INT_H

#include <stdarg.h>

#include "ciguard/probe.h"
#include "core/core.h"
#include "core/net.h"
#include "core/url.h"

struct cg_probe;

struct cg_probe_kind {
	const char *prefix; /* "redis://", "proc:", ... */
	/* parse p->target into p->state; -1 with err on a bad target */
	int (*init)(struct cg_probe *p, char *err, size_t errlen);
	enum cg_probe_result (*attempt)(struct cg_probe *p, int timeout_ms);
	void (*release)(struct cg_probe *p);
};

struct cg_probe {
	const struct cg_probe_kind *kind;
	char *target;  /* as given */
	char *display; /* password masked */
	char *expect_status;
	char *expect_json;
	char *ca_file; /* --cacert: https:// and rediss:// */
	void *state;   /* the kind's own */
	char last_error[512];
};

/* Set p->last_error (printf-style) and return `r`. */
enum cg_probe_result cg_probe_fail(struct cg_probe *p, enum cg_probe_result r,
				   const char *fmt, ...) CG_PRINTF(3, 4);

/*
 * Replace every occurrence of `secret` as a word of its own (no letter or
 * digit right before or after it) in the string `buf` (at most `size`
 * bytes with its NUL) by "***", truncating when it no longer fits. A
 * NULL or empty secret changes nothing. For messages that quote what a
 * server or library said, which a probe does not control.
 */
void cg_probe_mask(char *buf, size_t size, const char *secret);

/*
 * Open `path` for reading without blocking (a FIFO must not hang an
 * attempt). Returns the fd, or -1 after setting p->last_error ("does not
 * exist yet" / "cannot open") for a NOT_READY result.
 */
int cg_probe_open(struct cg_probe *p, const char *path);

#define CG_PROBE(name) extern const struct cg_probe_kind cg_probe_##name;
#include "probe/probes.def"
#undef CG_PROBE

#endif
