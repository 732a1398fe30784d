/*
 * What the report formats share: which findings are shown, the counts for a
 * summary, flushing with error checks, and JSON helpers. Private to
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
 * A JSON document written straight to a FILE, without building a jansson
 * tree first: --format json has thousands of findings, and a tree costs a
 * malloc and a hash per key. The caller writes the layout (braces, keys,
 * indent, commas) as literal text; strings and integers go through the
 * functions below. A string comes out in the very bytes that jansson's
 * dump (without JSON_ENSURE_ASCII or JSON_ESCAPE_SLASH) writes for
 * cg_json_string(s): '"', '\\' and control characters escaped (\b \f \n
 * \r \t, else \u00XX in upper case), everything else as is, invalid UTF-8
 * replaced by U+FFFD. So a document keeps its bytes whichever way it is
 * written.
 *
 * Writing never fails on the spot: the bytes are buffered here, handed to
 * `file` when the buffer fills, and cg_json_writer_finish reports whether
 * any write failed.
 */
struct cg_json_writer {
	FILE *file;
	size_t len; /* bytes waiting in buf */
	char buf[8192];
};

void cg_json_writer_init(struct cg_json_writer *out, FILE *file);
/* Append `len` bytes of layout, unescaped. */
void cg_json_writer_add(struct cg_json_writer *writer, const char *text,
			size_t len);
/* Append a string literal of layout. */
#define CG_JSON_WRITE_LIT(writer, lit)                                         \
	cg_json_writer_add((writer), "" lit, sizeof(lit) - 1)
/* Append `s` as a JSON string, or JSON null when `s` is NULL. */
void cg_json_writer_string(struct cg_json_writer *writer, const char *s);
void cg_json_writer_int(struct cg_json_writer *writer, long long v);
/*
 * Hand the buffered bytes to the file and flush it. Returns 0, or CG_EIO
 * when any write to it has failed.
 */
int cg_json_writer_finish(struct cg_json_writer *writer);

/*
 * Write `root` with two-space indent, keys in insertion order and a trailing
 * newline, then flush. `root` may be NULL (building it ran out of memory):
 * that, or no memory to lay it out, is cg_oom, before anything is written.
 * Returns 0 or CG_EIO. Does not take `root`.
 */
int cg_json_dump(FILE *out, const json_t *root);

#endif
