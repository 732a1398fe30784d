/*
 * What src/probe offers the other parts beyond the public probe API
 * (ciguard/probe.h): the /proc reading of the proc: probe, for a caller
 * that needs the processes themselves, not only whether one is there
 * (`ciguard doctor` reads a worker's environment).
 */
#ifndef CG_PROBE_H
#define CG_PROBE_H

#include <stddef.h>

#include "ciguard/probe.h"
#include "core/core.h"

/*
 * The live processes (not zombies) whose command line, its NUL separators
 * read as spaces, contains `pattern`, as proc:PATTERN finds them: this
 * process and its ancestors are left out. Up to `max` pids into `out`, in
 * /proc's order. Returns how many were stored (0 for an empty pattern),
 * or -1 when /proc cannot be read (errno says why).
 */
int cg_proc_find(const char *pattern, long *out, size_t max);

/*
 * The value of variable `name` in the environment process `pid` started
 * with (/proc/PID/environ) into `out` (replaced). Returns 1 when it is
 * set, 0 when it is not, -1 when the environment cannot be read (another
 * user's process, or gone).
 */
int cg_proc_getenv(long pid, const char *name, struct cg_buf *out);

#endif
