/*
 * What the four service rules (service-url-from-secret, -missing,
 * -mismatch, service-no-healthcheck) share beyond the model's knowledge of
 * service variables and endpoints (model/service_vars.h): the env
 * definitions a CI job's consumers see, and a walk over a script's
 * commands.
 */
#ifndef CG_SERVICE_VARS_H
#define CG_SERVICE_VARS_H

#include "rules/rule.h"
#include "model/service_vars.h"

/* ------------------------------------------------------ consumers */

/*
 * An env definition that a consumer of a CI job sees. The consumers of a
 * variable are the job's steps (GitLab: its script) that run a critical
 * command, start a process the model knows (background, workers), or name
 * the variable (`$NAME`, `${NAME}`, `env.NAME`); when a job has none of
 * those for it, every step. A definition that only non-consumers see (a
 * job-level value every consumer overrides in its step `env:`) is not
 * seen. `scope` and `item` are a step that sees it: the first consumer
 * that does, or the first step when no step overrides it.
 */
struct cg_svc_seen {
	const struct cg_env_fact *def;
	size_t scope, item;
};

/* The definitions the consumers of group `group` see, in table order,
 * those `want` (NULL: all) accepts (caller frees *out). */
size_t cg_svc_seen_defs(const struct cg_model *m, size_t group,
			bool (*want)(const struct cg_env_fact *),
			struct cg_svc_seen **out);
/* The same, from the list of every seen definition made once per check
 * for all the rules that ask (cg_rule_memo): a definition is seen or not
 * whatever else is, so filtering it after gives the same list. */
size_t cg_svc_seen_defs_memo(struct cg_rule_ctx *ctx, size_t group,
			     bool (*want)(const struct cg_env_fact *),
			     struct cg_svc_seen **out);

/*
 * Judge, for every group with service containers, each definition its
 * consumers see that `want` accepts (cg_svc_seen_defs). `done` has one
 * flag per env row: a judge sets the flag of the definition it reported,
 * so a value several jobs see (a workflow-level one) is reported once, in
 * the first; a judge skips a definition whose flag is set.
 */
typedef void (*cg_svc_judge_fn)(struct cg_rule_ctx *ctx,
				const struct cg_model *m,
				const struct cg_script_group *g,
				const struct cg_svc_seen *s,
				unsigned char *done);
void cg_svc_judge_seen(struct cg_rule_ctx *ctx, const struct cg_model *m,
		       bool (*want)(const struct cg_env_fact *),
		       cg_svc_judge_fn judge);

/*
 * The kind `def` points at among the kinds of `g`'s services, given its
 * endpoint `ep` (NULL: no URL read): by name (role from `which`), or by a
 * scheme that names the kind. CG_SERVICE_OTHER and *role CG_SVC_NONE when
 * none. *by_name (may be NULL) says it was the name.
 */
enum cg_service_kind
cg_svc_def_kind(const struct cg_model *m, const struct cg_script_group *g,
		const struct cg_env_fact *def, const struct cg_svc_endpoint *ep,
		enum cg_svc_names which, enum cg_svc_role *role, bool *by_name);

/* The first critical command of item `i` of `g` (NULL when none); its
 * script in *where. */
const struct cg_sh_cmd *cg_svc_item_critical(const struct cg_model *m,
					     const struct cg_script_group *g,
					     size_t i,
					     const struct cg_script **where);

/* ----------------------------------------------------------- walk */

/* Where a visited command stands. */
struct cg_svc_at {
	/* inside a while/until/for loop whose body sleeps: a retry loop */
	bool retry;
	/* a simple command whose failure is thrown away (`|| true`): it
	 * checks nothing */
	bool swallowed;
};

typedef bool (*cg_svc_visit_fn)(void *ud, const struct cg_script *s,
				const struct cg_sh_cmd *c,
				const struct cg_svc_at *at);

/*
 * Visit the simple commands of `s` in source order; the scripts a command
 * runs (`bash -c '...'`, `eval`, `$(...)`) are visited with it, before
 * it. Stops when `fn` returns false; returns false then.
 */
bool cg_svc_walk(const struct cg_script *s, cg_svc_visit_fn fn, void *ud);

/* "secrets.X" -> "`${{ secrets.X }}`", GitLab "X" -> "the CI/CD variable
 * `$X`", into `out`. */
void cg_svc_ref_text(const struct cg_env_fact *def, struct cg_buf *out);

#endif
