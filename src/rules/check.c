/*
 * The check engine and the library's cg_check (ciguard/check.h): resolve
 * the root, load the configuration and the baseline (so that a bad one
 * fails before any work), build the model, run the enabled rules of the
 * layer over it, then hand the findings to the filter stage (filter.c).
 * Severity overrides from .ciguard.yml are applied as findings are made.
 */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ciguard/check.h"
#include "rules/rule.h"
#include "core/banned.h"

/* The memos of one cg_check_run, shared by its rules (cg_rule_memo). */
struct memos {
	pthread_mutex_t lock; /* making a table */
	_Atomic(void *) *table[CG_MEMO_NKEYS];
	size_t n[CG_MEMO_NKEYS];
	void (*drop[CG_MEMO_NKEYS])(void *value);
};

struct cg_rule_ctx {
	const struct cg_rule *rule;
	enum cg_severity severity;
	const struct cg_model *m;
	struct cg_diag_list *out;
	struct memos *memos;
	unsigned char *marks; /* per Python file: cg_rule_mark */
	size_t nmarks;
};

const struct cg_model *cg_rule_model(const struct cg_rule_ctx *ctx)
{
	return ctx->m;
}

void cg_rule_mark(struct cg_rule_ctx *ctx, size_t file)
{
	if (file >= ctx->nmarks) {
		size_t n = ctx->nmarks ? ctx->nmarks : 64;

		while (n <= file)
			n *= 2;
		ctx->marks = cg_xrealloc(ctx->marks, n);
		memset(ctx->marks + ctx->nmarks, 0, n - ctx->nmarks);
		ctx->nmarks = n;
	}
	ctx->marks[file] = 1;
}

bool cg_rule_marked(const struct cg_rule_ctx *ctx, size_t file)
{
	return file < ctx->nmarks && ctx->marks[file];
}

/* Memo slots hold a value, or one of these while there is none. */
static char memo_busy_mark, memo_none_mark;
#define MEMO_BUSY ((void *)&memo_busy_mark) /* a thread is making it */
#define MEMO_NONE ((void *)&memo_none_mark) /* make() gave NULL */

const void *cg_rule_memo(struct cg_rule_ctx *ctx, enum cg_rule_memo_key key,
			 size_t i, size_t n,
			 void *(*make)(const struct cg_model *m, size_t i),
			 void (*drop)(void *value))
{
	struct memos *mm = ctx->memos;
	_Atomic(void *) *t;
	void *v, *expect = NULL;

	if (!mm || i >= n)
		return NULL;
	pthread_mutex_lock(&mm->lock);
	if (!mm->table[key]) {
		mm->table[key] = cg_xcalloc(n, sizeof(*mm->table[key]));
		mm->n[key] = n;
		mm->drop[key] = drop;
	}
	t = mm->table[key];
	pthread_mutex_unlock(&mm->lock);
	if (i >= mm->n[key])
		return NULL;
	/*
	 * The first thread to ask makes it; one asking meanwhile waits for
	 * it rather than making it too (two rules walking the same groups
	 * side by side would otherwise make every memo twice). A make()
	 * never asks for a memo itself, so a wait always ends.
	 */
	if (atomic_compare_exchange_strong(&t[i], &expect, MEMO_BUSY)) {
		v = make(ctx->m, i);
		atomic_store(&t[i], v ? v : MEMO_NONE);
		return v;
	}
	while ((v = atomic_load(&t[i])) == MEMO_BUSY)
		sched_yield();
	return v == MEMO_NONE ? NULL : v;
}

static void memos_release(struct memos *mm)
{
	for (size_t k = 0; k < CG_MEMO_NKEYS; k++) {
		for (size_t i = 0; mm->table[k] && i < mm->n[k]; i++) {
			void *v = atomic_load(&mm->table[k][i]);

			if (v && v != MEMO_NONE && v != MEMO_BUSY)
				mm->drop[k](v);
		}
		free(mm->table[k]);
	}
	pthread_mutex_destroy(&mm->lock);
}

static void report(struct cg_rule_ctx *ctx, enum cg_severity severity,
		   const struct cg_src *src, const struct cg_pos *pos,
		   const char *subject, const char *hint, const char *fmt,
		   va_list ap)
{
	struct cg_buf msg = CG_BUF_INIT;

	cg_buf_vaddf(&msg, fmt, ap);
	cg_diag_list_add(ctx->out, ctx->rule->id, severity, src->path, pos,
			 subject, hint ? hint : ctx->rule->hint, msg.buf);
	cg_buf_release(&msg);
}

void cg_report(struct cg_rule_ctx *ctx, const struct cg_src *src,
	       const struct cg_pos *pos, const char *subject, const char *hint,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctx, ctx->severity, src, pos, subject, hint, fmt, ap);
	va_end(ap);
}

void cg_report_note(struct cg_rule_ctx *ctx, const struct cg_src *src,
		    const struct cg_pos *pos, const char *subject,
		    const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctx, CG_SEV_NOTE, src, pos, subject, hint, fmt, ap);
	va_end(ap);
}

struct rule_run {
	struct cg_rule_ctx ctx;
	struct cg_diag_list out;
};

/* The runs, and the order the workers take them in: heaviest first, so
 * that no long rule starts last while the other workers idle. */
struct plan {
	struct rule_run *runs;
	size_t *order;
};

static void run_rule(void *arg, size_t i, unsigned worker)
{
	struct plan *p = arg;
	struct rule_run *run = &p->runs[p->order[i]];

	(void)worker;
	if (run->ctx.rule->check)
		run->ctx.rule->check(&run->ctx, run->ctx.m);
}

struct cg_check_session {
	struct rule_run *runs;
	size_t n;
	unsigned jobs;
	struct memos memos;
};

struct cg_check_session *cg_check_begin(const struct cg_model *m,
					const struct cg_check_options *o)
{
	struct cg_check_session *s = cg_xcalloc(1, sizeof(*s));

	s->runs = cg_xcalloc(cg_nrules, sizeof(*s->runs));
	s->jobs = o->jobs;
	pthread_mutex_init(&s->memos.lock, NULL);
	for (size_t i = 0; i < cg_nrules; i++) {
		const struct cg_rule *r = cg_rules[i];
		struct rule_run *run = &s->runs[s->n];

		if ((!r->check && !r->code) || !cg_rule_selected(r, o))
			continue;
		if (o->layer == CG_LAYER_QUICK && r->layer != CG_LAYER_QUICK)
			continue;
		run->ctx.rule = r;
		run->ctx.severity = cg_rule_severity(r, o->config);
		if (run->ctx.severity == CG_SEV_OFF)
			continue;
		run->ctx.m = m;
		run->ctx.out = &run->out;
		run->ctx.memos = &s->memos;
		cg_diag_list_init(&run->out);
		s->n++;
	}
	return s;
}

void cg_check_code(void *session, const struct cg_model *m, size_t file)
{
	struct cg_check_session *s = session;

	for (size_t i = 0; i < s->n; i++)
		if (s->runs[i].ctx.rule->code)
			s->runs[i].ctx.rule->code(&s->runs[i].ctx, m, file);
}

void cg_check_abandon(struct cg_check_session *s)
{
	for (size_t i = 0; i < s->n; i++) {
		cg_diag_list_release(&s->runs[i].out);
		free(s->runs[i].ctx.marks);
	}
	memos_release(&s->memos);
	free(s->runs);
	free(s);
}

int cg_check_finish(struct cg_check_session *s, struct cg_diag_list *out)
{
	struct plan plan;

	plan.runs = s->runs;
	plan.order = cg_xcalloc(s->n ? s->n : 1, sizeof(*plan.order));
	for (size_t i = 0, k = 0; i < s->n; i++) {
		/* insertion by weight, stable: a handful of rules */
		for (k = i;
		     k > 0 && s->runs[plan.order[k - 1]].ctx.rule->weight <
				  s->runs[i].ctx.rule->weight;
		     k--)
			plan.order[k] = plan.order[k - 1];
		plan.order[k] = i;
	}
	cg_parallel_for(s->n, s->jobs, run_rule, &plan);
	free(plan.order);
	/* findings in rule order, whatever order the rules ran in */
	for (size_t i = 0; i < s->n; i++)
		cg_diag_list_take(out, &s->runs[i].out);
	cg_check_abandon(s);
	return 0;
}

int cg_check_run(struct cg_diag_list *out, const struct cg_model *m,
		 const struct cg_check_options *o)
{
	struct cg_check_session *s = cg_check_begin(m, o);

	/* a model built without a code_visit kept its code */
	for (size_t i = 0; i < m->facts.python.nfiles; i++)
		cg_check_code(s, m, i);
	return cg_check_finish(s, out);
}

/* ------------------------------------------------------------ cg_check */

struct cg_check_result {
	char *root;
	struct cg_config config;
	struct cg_model model;
	bool model_built;
	struct cg_diag_list diags;
	const char **notes;
	size_t nnotes;
	struct cg_check_summary summary;
};

/* The enclosing git work tree, else "." (caller frees). */
static char *default_root(void)
{
	const char *argv[] = {"git", "rev-parse", "--show-toplevel", NULL};
	struct cg_buf b = CG_BUF_INIT;

	if (cg_run_capture(argv, NULL, &b) == 0 && b.len) {
		while (b.len && (b.buf[b.len - 1] == '\n'))
			b.buf[--b.len] = '\0';
		return cg_buf_detach(&b, NULL);
	}
	cg_buf_release(&b);
	return cg_xstrdup(".");
}

/* opt->config, else ROOT/.ciguard.yml when it exists; unknown rule ids in
 * it are an error. */
static int load_config(struct cg_config *c, const char *root,
		       const struct cg_check_opts *opt)
{
	const char *display = opt->config ? opt->config : ".ciguard.yml";
	char *path = opt->config ? cg_xstrdup(opt->config)
				 : cg_xasprintf("%s/.ciguard.yml", root);
	int err = 0;

	if (!opt->config && access(path, F_OK) < 0)
		goto out;
	if ((err = cg_config_load(c, path, display)) < 0)
		goto out;
	for (size_t i = 0; i < c->nrules; i++)
		if (!cg_rule_find(c->rules[i].id)) {
			err = cg_error_set(CG_EINVAL,
					   "%s:%u:%u: unknown rule '%s' in "
					   "'rules' (see 'ciguard rules')",
					   display, c->rules[i].pos.line,
					   c->rules[i].pos.col, c->rules[i].id);
			goto out;
		}
out:
	free(path);
	return err;
}

int cg_check(struct cg_check_result **out, const struct cg_check_opts *opt)
{
	struct cg_check_result *r = cg_xcalloc(1, sizeof(*r));
	struct cg_baseline baseline;
	struct cg_model_options mopt;
	struct cg_check_options copt;
	struct cg_check_session *session;
	int err = 0;

	*out = NULL;
	cg_error_clear();
	cg_config_init(&r->config);
	cg_diag_list_init(&r->diags);
	cg_baseline_init(&baseline);
	for (size_t i = 0; i < opt->nrules; i++)
		if (!cg_rule_find(opt->rules[i])) {
			err = cg_error_set(CG_EINVAL,
					   "no rule '%s' (see 'ciguard rules')",
					   opt->rules[i]);
			goto out;
		}
	r->root = opt->root ? cg_xstrdup(opt->root) : default_root();
	if (access(r->root, F_OK) < 0) {
		err = cg_error_set(CG_EIO, "cannot read '%s': %s", r->root,
				   strerror(errno));
		goto out;
	}
	if ((err = load_config(&r->config, r->root, opt)) < 0)
		goto out;
	if (opt->baseline &&
	    (err = cg_baseline_load(&baseline, opt->baseline)) < 0)
		goto out;

	memset(&mopt, 0, sizeof(mopt));
	mopt.root = r->root;
	mopt.layer = opt->quick ? CG_LAYER_QUICK : CG_LAYER_FULL;
	mopt.staged = opt->staged;
	mopt.jobs = opt->jobs ? opt->jobs : cg_cpu_count();
	mopt.config = &r->config;
	memset(&copt, 0, sizeof(copt));
	copt.layer = mopt.layer;
	copt.only = opt->rules;
	copt.nonly = opt->nrules;
	copt.config = &r->config;
	copt.jobs = mopt.jobs;
	/* the code rules see each Python module as it is read: the model
	 * need not keep them all */
	session = cg_check_begin(&r->model, &copt);
	mopt.code_visit = cg_check_code;
	mopt.code_arg = session;
	if ((err = cg_model_build(&r->model, &mopt)) < 0) {
		cg_check_abandon(session);
		cg_model_release(&r->model);
		goto out;
	}
	r->model_built = true;
	r->notes = cg_xcalloc(r->model.nnotes, sizeof(*r->notes));
	for (size_t i = 0; i < r->model.nnotes; i++)
		r->notes[r->nnotes++] = r->model.notes[i].message;

	cg_check_finish(session, &r->diags);
	cg_filter_suppressions(&r->diags, &r->model, &copt);
	cg_diag_list_sort(&r->diags);
	cg_diag_list_dedupe(&r->diags);
	cg_diag_list_fingerprint(&r->diags);
	cg_baseline_apply(&baseline, &r->diags);
	cg_filter_count(&r->diags, opt->fail_on, &r->summary);
	r->summary.files = r->model.nfiles;
out:
	cg_baseline_release(&baseline);
	if (err < 0) {
		cg_check_result_free(r);
		return err;
	}
	*out = r;
	return 0;
}

void cg_check_result_free(struct cg_check_result *r)
{
	if (!r)
		return;
	cg_diag_list_release(&r->diags);
	free(r->notes);
	if (r->model_built)
		cg_model_release(&r->model);
	cg_config_release(&r->config);
	free(r->root);
	free(r);
}

const struct cg_check_summary *
cg_check_result_summary(const struct cg_check_result *r)
{
	return &r->summary;
}

const struct cg_diag *cg_check_result_findings(const struct cg_check_result *r,
					       size_t *out_n)
{
	*out_n = r->diags.n;
	return r->diags.items;
}

const char *const *cg_check_result_notes(const struct cg_check_result *r,
					 size_t *out_n)
{
	*out_n = r->nnotes;
	return r->notes;
}

int cg_check_write_baseline(const struct cg_check_result *r, const char *file,
			    size_t *out_written)
{
	return cg_baseline_write(file, &r->diags, out_written);
}

const char *cg_check_last_error(void)
{
	return cg_error_last();
}

const struct cg_diag_list *cg_check_result_list(const struct cg_check_result *r)
{
	return &r->diags;
}

const struct cg_model *cg_check_result_model(const struct cg_check_result *r)
{
	return &r->model;
}

const struct cg_config *cg_check_result_config(const struct cg_check_result *r)
{
	return &r->config;
}
