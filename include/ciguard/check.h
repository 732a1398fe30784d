/*
 * ciguard/check.h: `ciguard check` as one library call.
 *
 * cg_check reads the repository's files (in a git work tree the tracked and
 * untracked-not-ignored ones, or the index with `staged`), builds the
 * repository model, runs the rules of the layer and then filters the
 * findings, in this order and in this one place:
 *   1. inline suppressions: `# ciguard: ignore[RULE,...] reason` hides the
 *      findings of RULE on the line it covers; in the full layer, a
 *      suppression of a rule that ran and matched nothing becomes an
 *      unused-suppression finding;
 *   2. the baseline: findings whose fingerprint (rule + path + offending
 *      text, not the line) is recorded in the baseline file are hidden;
 *   3. fail_on: the result fails when a finding still shown is at or above
 *      that severity.
 * Severities come from the rules' defaults and the configuration.
 *
 * Ownership: cg_check allocates *out, freed with cg_check_result_free
 * (NULL is fine). Whatever the accessors return (findings, notes, the
 * summary, their strings) belongs to the result and lives until it is
 * freed. The options and their strings are only read during the call.
 *
 * Errors: functions that can fail return 0 or a negative code; then
 * cg_check_last_error() says why in one line ("FILE:LINE:COL: what" when
 * there is a position, "cannot read 'PATH': why" otherwise). The message is
 * kept per thread until the next failing call. Findings are not errors:
 * a check that finds problems returns 0 with summary->failed set.
 *
 * Nothing here prints or exits.
 */
#ifndef CIGUARD_CHECK_H
#define CIGUARD_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "ciguard/api.h"
#include "ciguard/diag.h"

/* Zero it (`= {0}`) and set what you need: zero is the default of each. */
struct cg_check_opts {
	/* the repository; NULL: the enclosing git work tree of the current
	 * folder, else the current folder */
	const char *root;
	bool quick;  /* the quick layer only: CI config, compose, env files */
	bool staged; /* read what is staged in the git index, not the work
			tree (an error outside a git work tree) */
	/* the configuration file; NULL: ROOT/.ciguard.yml when present */
	const char *config;
	/* a file written by cg_check_write_baseline; NULL: none */
	const char *baseline;
	/* fail at or above this severity; CG_SEV_OFF: CG_SEV_ERROR */
	enum cg_severity fail_on;
	/* run only these rule ids (n of them); NULL or 0: every rule */
	const char *const *rules;
	size_t nrules;
	/* threads that read files and run rules; 0: one per core this
	 * process may use. The result is the same whatever it is. */
	unsigned jobs;
};

struct cg_check_summary {
	size_t files;  /* files read */
	size_t errors; /* shown findings, by severity */
	size_t warnings;
	size_t notes;
	size_t suppressed; /* hidden by an inline suppression */
	size_t baselined;  /* hidden by the baseline */
	bool failed;	   /* a shown finding is at or above fail_on */
};

struct cg_check_result;

/*
 * Check the repository as `opt` says and put the result in *out. Returns
 * 0, or a negative code with *out NULL when the check cannot be done:
 * ROOT unreadable; the configuration unreadable or wrong (an unknown key,
 * a bad value, an unknown rule id); the baseline unreadable or not a
 * baseline; an unknown id in opt->rules; `staged` outside a git work tree.
 * A file that cannot be read or parsed is a note, never an error.
 */
CG_API int cg_check(struct cg_check_result **out,
		    const struct cg_check_opts *opt);
CG_API void cg_check_result_free(struct cg_check_result *r);

/* The counts and the verdict. */
CG_API const struct cg_check_summary *
cg_check_result_summary(const struct cg_check_result *r);

/*
 * Every finding, *out_n of them, sorted by path, line, column and rule,
 * with fingerprints. The hidden ones are there too, with `suppressed` 1
 * (inline) or 2 (baseline); the summary's errors/warnings/notes count the
 * others, the ones a report shows.
 */
CG_API const struct cg_diag *
cg_check_result_findings(const struct cg_check_result *r, size_t *out_n);

/*
 * What was not checked, and why, one line each ("PATH: why"): files
 * skipped (binary, not UTF-8, too big, malformed), steps in shells that
 * are not read (pwsh, cmd, python).
 */
CG_API const char *const *cg_check_result_notes(const struct cg_check_result *r,
						size_t *out_n);

/*
 * Record the shown findings of `r` (neither suppressed nor baselined) in
 * `file`, replacing it, as JSON: {"version": 1, "tool": "ciguard",
 * "findings": [{"fingerprint", "rule", "path", "message"}, ...]}; a later
 * cg_check with it as opt->baseline hides them. *out_written (when not
 * NULL) gets how many. Returns 0, or a negative code when the file cannot
 * be written.
 */
CG_API int cg_check_write_baseline(const struct cg_check_result *r,
				   const char *file, size_t *out_written);

/* Why the last failing call of this thread failed ("" when none did). */
CG_API const char *cg_check_last_error(void);

#endif
