/*
 * What the report formats share: which findings are shown, the counts for a
 * summary, flushing with error checks, and jansson helpers. Private to
 * src/report/.
 */
#ifndef CG_REPORT_SHARED_H
#define CG_REPORT_SHARED_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "report/report.h"

/*
 * A finding is printed unless a filter suppressed it or its severity is off
 * (a rule turned off reports nothing, even if a finding slipped through).
 */
bool cg_report_shown(const struct cg_diag *d);

/* Shown findings by severity. */
struct cg_report_counts {
	size_t errors, warnings, notes;
};
void cg_report_count(struct cg_report_counts *out,
		     const struct cg_report_input *in);

/* Flush `out`; returns 0, or CG_EIO when any write to it has failed. */
int cg_report_finish(FILE *out);

/*
 * A new JSON string for `s`: JSON null when `s` is NULL, invalid UTF-8
 * replaced by U+FFFD (paths need not be UTF-8). NULL only on out of memory.
 */
json_t *cg_json_string(const char *s);

/*
 * Write `root` with two-space indent, keys in insertion order and a trailing
 * newline, then flush. `root` may be NULL (building it ran out of memory):
 * CG_ENOMEM. Returns 0, CG_ENOMEM or CG_EIO. Does not take `root`.
 */
int cg_json_dump(FILE *out, const json_t *root);

#endif
