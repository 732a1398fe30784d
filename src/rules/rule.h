/*
 * rules: each rule is data plus one check function over the model. The
 * table is generated from rules.def, so a rule is registered in one place.
 */
#ifndef CG_RULE_H
#define CG_RULE_H

#include "model/model.h"

struct cg_rule_ctx;
typedef void (*cg_check_fn)(struct cg_rule_ctx *ctx, const struct cg_model *m);

struct cg_rule {
	const char *id;		   /* stable kebab-case id */
	enum cg_layer layer;	   /* QUICK rules also run in the full layer */
	enum cg_severity severity; /* default; .ciguard.yml may override */
	const char *summary;	   /* one line */
	const char *explain;	   /* why, a bad example, a good example */
	const char *hint;	   /* default fix hint */
	cg_check_fn check;	   /* NULL: emitted by the engine itself */
};

#define CG_RULE(name) extern const struct cg_rule cg_rule_##name;
#include "rules/rules.def"
#undef CG_RULE

extern const struct cg_rule *const cg_rules[];
extern const size_t cg_nrules;
const struct cg_rule *cg_rule_find(const char *id);

/*
 * Report a finding of the running rule at `pos` in `src`. `subject` is the
 * offending text (hashed into the fingerprint); `hint` NULL means the rule's
 * default hint.
 */
void cg_report(struct cg_rule_ctx *ctx, const struct cg_src *src,
	       const struct cg_pos *pos, const char *subject, const char *hint,
	       const char *fmt, ...) CG_PRINTF(6, 7);

/* The model the running rule reads (its config included). */
const struct cg_model *cg_rule_model(const struct cg_rule_ctx *ctx);

/* --------------------------------------------------------- engine */

struct cg_check_options {
	enum cg_layer layer;
	const char *const *only; /* --rule ids; NULL/empty = all */
	size_t nonly;
	const struct cg_config *config;
};

/*
 * Run every enabled rule of the layer over `m`, append findings to `out`,
 * then apply inline suppressions (marking them) and emit
 * unused-suppression. Returns 0.
 */
int cg_check_run(struct cg_diag_list *out, const struct cg_model *m,
		 const struct cg_check_options *opt);

/* Effective severity of a rule under `config` (OFF when disabled). */
enum cg_severity cg_rule_severity(const struct cg_rule *r,
				  const struct cg_config *config);

#endif
