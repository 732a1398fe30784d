/*
 * Workers and the Python code they run, for worker-missing-health and
 * worker-missing-startup-log: every worker start of the model (a process
 * fact of CI, compose or Kubernetes that facts.h calls a worker, and that
 * runs as a service, not to completion) whose command names Python code
 * of the repository, with that code: the module it runs, and the files
 * that count as its own (the module and the rest of its package).
 */
#ifndef CG_RULES_WORKER_H
#define CG_RULES_WORKER_H

#include "rules/rule.h"

struct cg_worker {
	const struct cg_process_fact *p;
	struct cg_py_entry entry;
	const struct cg_py_file *file; /* the module the command runs */
	/* the package whose files are the worker's too ("app.worker" for
	 * app/worker/pool.py); "" when the module is in no package */
	const char *package;
	size_t package_len;
};

/*
 * Call fn for each worker start whose code is in the repository, in the
 * order of the process table. A command naming code that is not there
 * (an installed package, a path outside the repository) is skipped: there
 * is nothing to judge.
 */
void cg_worker_each(const struct cg_model *m,
		    void (*fn)(void *ud, const struct cg_worker *w), void *ud);

/* `f` is one of the worker's files: its module, or a module of its
 * package or a package below it. */
bool cg_worker_owns(const struct cg_worker *w, const struct cg_py_file *f);

/*
 * Report at the worker's start command that none of its code files is
 * marked (cg_rule_mark: the rule's code() found what it looks for there):
 * "this starts `NAME` (PATH) as a worker, and nothing in WHERE <lacks>",
 * WHERE being its package's folder (the module's file when it is in no
 * package).
 */
void cg_worker_judge(struct cg_rule_ctx *ctx, const struct cg_worker *w,
		     const char *lacks);

#endif
