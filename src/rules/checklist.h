/*
 * The environment-variable checklist: which app variables each place of
 * the repository names (.env.example, code, compose, CI, Kubernetes), the
 * data `env-checklist` judges and `ciguard env` prints. Built from the env
 * fact table; see checklist.c for what counts in each place.
 */
#ifndef CG_CHECKLIST_H
#define CG_CHECKLIST_H

#include "rules/rule.h"

/* The columns, in the order a variable's first appearance is looked for.
 * One more source of variables is one more column here and one more case
 * in checklist.c's col_of. */
enum cg_cl_col {
	CG_CL_EXAMPLE, /* .env.example and kin, or a committed .env */
	CG_CL_CODE,
	CG_CL_COMPOSE,
	CG_CL_CI,
	CG_CL_K8S,
	CG_CL_NCOLS,
};

/* "example", "code", "compose", "ci", "k8s" (JSON keys) */
const char *cg_cl_col_key(enum cg_cl_col c);
/* ".env.example", "code", "compose", "CI", "k8s" (what a message says) */
const char *cg_cl_col_title(enum cg_cl_col c);

struct cg_cl_cell {
	/* the first row naming the variable in this place (by path, line,
	 * column), NULL when the place does not name it */
	const struct cg_env_fact *first;
	/* some row here needs the variable in every place: an app
	 * definition */
	bool demands;
	/* some row here needs it in the example file only: compose
	 * interpolation without a default (`${X}`, `${X:?err}`; not
	 * `${X:-d}`), which the compose project reads from `.env` or the
	 * shell, not CI or Kubernetes; a read in code without a default */
	bool needs_example;
	/* an app definition (not only a use) names it here: the place
	 * keeps the unit's variables */
	bool app;
};

/*
 * A part of the repository that one example env file documents: the
 * folder tree of each example file (a committed `.env` where its folder
 * has none). With one such file or none, the whole repository is one
 * unit.
 */
struct cg_cl_unit {
	const char *dir; /* "" at the root */
	/* the example file (the first, when a folder has several), NULL
	 * when the unit has none */
	const struct cg_src *example;
	/* the places this unit keeps variables in, and so the ones a
	 * variable can be missing from: the example file when there is one,
	 * and every other place where an app definition (not only a use)
	 * names one of its variables */
	bool has[CG_CL_NCOLS];
};

struct cg_cl_row {
	const char *name;
	size_t unit;
	struct cg_cl_cell cell[CG_CL_NCOLS];
};

struct cg_checklist {
	struct cg_cl_unit *units;
	size_t nunits;
	struct cg_cl_row *rows; /* by unit, then by name (strcmp) */
	size_t nrows;
	bool has[CG_CL_NCOLS]; /* some unit has the place */
};

void cg_checklist_build(const struct cg_model *m, struct cg_checklist *cl);
void cg_checklist_release(struct cg_checklist *cl);

/* A runtime or CI-provided name, not an app variable (CI, GITHUB_*,
 * PATH, PYTHON*, LC_*...), or one `env.ignore` of .ciguard.yml matches. */
bool cg_cl_ignored(const struct cg_config *config, const char *name);

/*
 * The places row `r` is missing from (missing[c] set), when some place
 * needs it: returns how many, 0 when the row is complete or nothing
 * needs it.
 */
size_t cg_cl_missing(const struct cg_checklist *cl, const struct cg_cl_row *r,
		     bool missing[CG_CL_NCOLS]);

/* The row's first appearance: its cell in the first column that names
 * it (never NULL for a row of the checklist). */
const struct cg_env_fact *cg_cl_first(const struct cg_cl_row *r);

#endif
