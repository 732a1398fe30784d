/*
 * rules: each rule is data plus one check function over the model. The
 * table is generated from rules.def, so a rule is registered in one place.
 */
#ifndef CG_RULE_H
#define CG_RULE_H

#include "model/model.h"

struct cg_rule_ctx;
typedef void (*cg_check_fn)(struct cg_rule_ctx *ctx, const struct cg_model *m);
/*
 * A rule that reads Python code sees it one module at a time: `file` is
 * the row of m->facts.python, whose structure (`code`) and source text
 * are there only during the call (the model forgets them after it, see
 * cg_model_options.code_visit), and before any check runs. It reports
 * what one module shows, and marks (cg_rule_mark) what its check needs
 * to know later. Nothing but that row is complete yet.
 */
typedef void (*cg_code_fn)(struct cg_rule_ctx *ctx, const struct cg_model *m,
			   size_t file);

struct cg_rule {
	const char *id;		   /* stable kebab-case id */
	enum cg_layer layer;	   /* QUICK rules also run in the full layer */
	enum cg_severity severity; /* default; .ciguard.yml may override */
	const char *summary;	   /* one line */
	const char *explain;	   /* why, a bad example, a good example */
	const char *hint;	   /* default fix hint */
	cg_check_fn check;	   /* NULL: emitted by the engine itself */
	cg_code_fn code;	   /* NULL: reads no Python code */
	/* how long it runs beside the others (0 short .. 3 longest, on the
	 * bench repository): the heaviest start first; scheduling only */
	unsigned char weight;
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

/* cg_report at note severity, whatever the rule's: a summary beside the
 * rule's own findings. */
void cg_report_note(struct cg_rule_ctx *ctx, const struct cg_src *src,
		    const struct cg_pos *pos, const char *subject,
		    const char *hint, const char *fmt, ...) CG_PRINTF(6, 7);

/* The model the running rule reads (its config included). */
const struct cg_model *cg_rule_model(const struct cg_rule_ctx *ctx);

/* Mark Python file `file` (a row of facts.python) for the rule's check,
 * from its code(); cg_rule_marked tells in check() whether it was. */
void cg_rule_mark(struct cg_rule_ctx *ctx, size_t file);
bool cg_rule_marked(const struct cg_rule_ctx *ctx, size_t file);

/*
 * Work several rules of one check do alike, done once per check: the value
 * of memo `key` for item `i` (of `n`), made by make(m, i) the first time a
 * rule asks, on whichever thread, and kept read-only until the rules are
 * done, then freed with drop(). It is made once: a thread asking while
 * another makes it waits for that one. make() must not ask for a memo
 * itself (it gets no ctx). NULL when make returns NULL.
 */
enum cg_rule_memo_key {
	CG_MEMO_READY_EVENTS, /* readiness.c: a group's cg_ready_walk */
	CG_MEMO_SEEN_DEFS,    /* service_vars.c: a group's cg_svc_seen_defs */
	CG_MEMO_NKEYS
};
const void *cg_rule_memo(struct cg_rule_ctx *ctx, enum cg_rule_memo_key key,
			 size_t i, size_t n,
			 void *(*make)(const struct cg_model *m, size_t i),
			 void (*drop)(void *value));

/* --------------------------------------------------------- engine */

struct cg_check_result;	 /* ciguard/check.h */
struct cg_check_summary; /* ciguard/check.h */

/* What the engine and the filter stage need of ciguard/check.h's options. */
struct cg_check_options {
	enum cg_layer layer;
	const char *const *only; /* --rule ids; NULL/empty = all */
	size_t nonly;
	const struct cg_config *config;
	unsigned jobs; /* rules run at once on threads; 0, 1: one at a time */
};

/*
 * Run every enabled rule of the layer over `m` and append their findings
 * to `out`, unfiltered (the filter stage below comes next), in rule order
 * whatever opt->jobs is. Rules only read the model, so several run at
 * once, each into its own list. Returns 0.
 */
int cg_check_run(struct cg_diag_list *out, const struct cg_model *m,
		 const struct cg_check_options *opt);

/*
 * cg_check_run in halves, for a model whose Python code the rules see go
 * by while it is built (cg_model_options.code_visit) instead of after:
 * cg_check_begin before cg_model_build, with `m` where the model will be;
 * cg_check_code as the model's code_visit, the session as its arg;
 * cg_check_finish once the model is built (it frees the session; or
 * cg_check_abandon when the build failed).
 * cg_check_run is the three over a model that kept its code.
 */
struct cg_check_session;
struct cg_check_session *cg_check_begin(const struct cg_model *m,
					const struct cg_check_options *opt);
void cg_check_code(void *session, const struct cg_model *m, size_t file);
int cg_check_finish(struct cg_check_session *s, struct cg_diag_list *out);
/* Free a session without running its checks (the build failed). */
void cg_check_abandon(struct cg_check_session *s);

/* Is rule `r` among the --rule ids (or are there none)? */
bool cg_rule_selected(const struct cg_rule *r,
		      const struct cg_check_options *opt);

/* ------------------------------------------- filter stage (filter.c) */

/*
 * Mark the findings that an inline `# ciguard: ignore[...]` covers
 * (suppressed = 1; one suppression hides one finding per id) and, in the
 * full layer when unused-suppression is on and selected, add an
 * unused-suppression finding for each id that matched nothing although its
 * rule ran (or that names no rule). Call before sorting.
 */
void cg_filter_suppressions(struct cg_diag_list *l, const struct cg_model *m,
			    const struct cg_check_options *opt);

/* The fingerprints of a baseline file, sorted. */
struct cg_baseline {
	char **fingerprints;
	size_t n;
};

void cg_baseline_init(struct cg_baseline *b);
/*
 * Read `file` (written by cg_baseline_write). Returns 0; CG_EIO with
 * "FILE: cannot read baseline: why" when it cannot be opened; CG_EPARSE
 * with "FILE:LINE:COL: cannot read baseline: why" or "FILE: not a ciguard
 * baseline ..." for bad JSON. Entries without a fingerprint are ignored.
 */
int cg_baseline_load(struct cg_baseline *b, const char *file);
/* Mark the shown findings of `l` whose fingerprint `b` holds (suppressed =
 * 2); fingerprints must be filled in. Returns how many. */
size_t cg_baseline_apply(const struct cg_baseline *b, struct cg_diag_list *l);
void cg_baseline_release(struct cg_baseline *b);
/* Write the shown findings of `l` to `file` (see cg_check_write_baseline).
 * Returns 0 or CG_EIO. */
int cg_baseline_write(const char *file, const struct cg_diag_list *l,
		      size_t *out_written);

/* Fill the counts and `failed` of `out` (files untouched) from `l`:
 * failed when a shown finding is at or above fail_on (OFF: error). */
void cg_filter_count(const struct cg_diag_list *l, enum cg_severity fail_on,
		     struct cg_check_summary *out);

/* For the CLI's reporters: the findings as a list, the model (the source
 * lines of the findings' files) and the configuration (the effective
 * severity of every rule) of a result; owned by it. */
const struct cg_diag_list *
cg_check_result_list(const struct cg_check_result *r);
const struct cg_model *cg_check_result_model(const struct cg_check_result *r);
const struct cg_config *cg_check_result_config(const struct cg_check_result *r);

/* Effective severity of a rule under `config` (OFF when disabled). */
enum cg_severity cg_rule_severity(const struct cg_rule *r,
				  const struct cg_config *config);

#endif
