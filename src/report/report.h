/*
 * report: write a sorted, filtered list of findings in one format. Reporters
 * read findings (and, for text, the source lines) and never call rules.
 */
#ifndef CG_REPORT_H
#define CG_REPORT_H

#include <stdio.h>

#include "core/core.h"
#include "core/diag_list.h"

enum cg_format {
	CG_FORMAT_TEXT,
	CG_FORMAT_JSON,
	CG_FORMAT_SARIF,
	CG_FORMAT_GITHUB,
	CG_FORMAT_CODEQUALITY,
};

/* What SARIF's tool.driver.rules needs of every rule. */
struct cg_report_rule {
	const char *id;
	const char *summary; /* one line */
	const char *help;    /* the longer explanation, plain text */
	enum cg_severity level;
};

struct cg_report_input {
	const struct cg_diag_list *diags; /* sorted; suppressed ones skipped */
	const char *layer;		  /* "quick" or "full" */
	size_t files;			  /* files read */
	size_t suppressed;		  /* findings suppressed */
	long elapsed_ms;
	const struct cg_report_rule *rules; /* every registered rule */
	size_t nrules;
	/* text: the source of a finding's file, or NULL when unknown */
	const struct cg_src *(*find_src)(void *ctx, const char *path);
	void *find_src_ctx;
	bool color; /* text only: ANSI colours */
};

/* Parse "text", "json", ...; returns -1 for an unknown name. */
int cg_format_parse(const char *name);

/*
 * Write the report to `out` and flush it. Returns 0, CG_EIO when writing
 * failed, or CG_EINVAL for an unknown format; the message is in
 * cg_error_last(). Out of memory (jansson's for SARIF included) is cg_oom.
 * Suppressed findings (d->suppressed != 0) are never printed, only counted
 * through `suppressed`; nor are findings at CG_SEV_OFF.
 */
int cg_report_write(FILE *out, enum cg_format fmt,
		    const struct cg_report_input *in);

/* The formats, for cg_report_write and the tests. */
int cg_report_text(FILE *out, const struct cg_report_input *in);
int cg_report_json(FILE *out, const struct cg_report_input *in);
int cg_report_sarif(FILE *out, const struct cg_report_input *in);
int cg_report_github(FILE *out, const struct cg_report_input *in);
int cg_report_codequality(FILE *out, const struct cg_report_input *in);

#endif
