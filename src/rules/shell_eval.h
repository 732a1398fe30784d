/*
 * A small evaluator of what a shell does after a command fails: enough to
 * tell `pytest || true` (success) from `pytest || exit 1` (failure) and
 * `pytest || { echo failed; exit 1; }` (failure).
 */
#ifndef CG_SHELL_EVAL_H
#define CG_SHELL_EVAL_H

#include "load/load.h"

enum cg_outcome {
	CG_OUT_OK,	  /* status 0, script goes on */
	CG_OUT_FAIL,	  /* non-zero status, script goes on (or errexit) */
	CG_OUT_EXIT_OK,	  /* the script exits with 0 */
	CG_OUT_EXIT_FAIL, /* the script exits with non-zero */
	CG_OUT_UNKNOWN,	  /* depends on something we cannot know */
};

struct cg_sim {
	enum cg_outcome outcome;
	int flip_op;	/* index of the `||` whose right side made it OK */
	bool from_last; /* final status came from the last pipeline, so
			   errexit applies to it */
};

/* Pipeline `p` of `ao` has just failed: what does the rest of `ao` do? */
struct cg_sim cg_sim_failure(const struct cg_sh_andor *ao, size_t p,
			     bool errexit);

/* What running `l` ends with, given the status `last` before it. */
enum cg_outcome cg_eval_list(const struct cg_sh_list *l, bool errexit,
			     enum cg_outcome last);

#endif
