/*
 * ciguard/diag.h: positions and findings, the data every part of ciguard
 * passes to the next. Findings are data, not errors.
 */
#ifndef CIGUARD_DIAG_H
#define CIGUARD_DIAG_H

#include <stddef.h>
#include <stdint.h>

#include "ciguard/api.h"

/* 1-based; `end_line`/`end_col` point just past the last character. */
struct cg_pos {
	uint32_t line, col;
	uint32_t end_line, end_col;
};

enum cg_severity {
	CG_SEV_OFF = 0,
	CG_SEV_NOTE = 1,
	CG_SEV_WARNING = 2,
	CG_SEV_ERROR = 3,
};

/* One finding. All strings are owned by the list holding the finding. */
struct cg_diag {
	const char *rule; /* rule id, static */
	enum cg_severity severity;
	char *path; /* relative to the checked root, '/' separated */
	struct cg_pos pos;
	char *message;
	char *hint;	      /* may be NULL */
	char *subject;	      /* offending text, hashed into the fingerprint */
	char fingerprint[17]; /* 16 lower-case hex digits */
	int suppressed;	      /* set by the filters: 1 inline, 2 baseline */
};

CG_API const char *cg_severity_name(enum cg_severity s);

#endif
