/*
 * The check engine: run the enabled rules of the layer over the model, then
 * apply inline suppressions and report the suppressions that matched
 * nothing. Severity overrides from .ciguard.yml are applied as findings are
 * made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rule.h"
#include "core/banned.h"

struct cg_rule_ctx {
	const struct cg_rule *rule;
	enum cg_severity severity;
	const struct cg_model *m;
	struct cg_diag_list *out;
};

const struct cg_model *cg_rule_model(const struct cg_rule_ctx *ctx)
{
	return ctx->m;
}

void cg_report(struct cg_rule_ctx *ctx, const struct cg_src *src,
	       const struct cg_pos *pos, const char *subject, const char *hint,
	       const char *fmt, ...)
{
	struct cg_buf msg = CG_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	cg_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	cg_diag_list_add(ctx->out, ctx->rule->id, ctx->severity, src->path, pos,
			 subject, hint ? hint : ctx->rule->hint, msg.buf);
	cg_buf_release(&msg);
}

static bool selected(const struct cg_rule *r, const struct cg_check_options *o)
{
	if (!o->nonly)
		return true;
	for (size_t i = 0; i < o->nonly; i++)
		if (!strcmp(o->only[i], r->id))
			return true;
	return false;
}

/* Would rule `id` have run (so that a suppression of it can be unused)? */
static bool ran(const char *id, const struct cg_check_options *o)
{
	const struct cg_rule *r = cg_rule_find(id);

	if (!r)
		return true; /* a misspelt id never matches: report it */
	return r->check && selected(r, o) &&
	       cg_rule_severity(r, o->config) != CG_SEV_OFF;
}

static void apply_suppressions(struct cg_diag_list *out,
			       const struct cg_model *m)
{
	for (size_t i = 0; i < out->n; i++) {
		struct cg_diag *d = &out->items[i];

		for (size_t s = 0; s < m->nsuppressions && !d->suppressed;
		     s++) {
			struct cg_suppression *sup = &m->suppressions[s];

			if (sup->target_line != d->pos.line ||
			    strcmp(sup->src->path, d->path))
				continue;
			for (size_t k = 0; k < sup->nids; k++)
				if (!strcmp(sup->ids[k], d->rule)) {
					sup->used[k] = true;
					d->suppressed = 1;
					break;
				}
		}
	}
}

static void report_unused(struct cg_rule_ctx *ctx, const struct cg_model *m,
			  const struct cg_check_options *o)
{
	for (size_t s = 0; s < m->nsuppressions; s++) {
		const struct cg_suppression *sup = &m->suppressions[s];

		for (size_t k = 0; k < sup->nids; k++) {
			const char *id = sup->ids[k];
			char *subject;

			if (sup->used[k] || !ran(id, o))
				continue;
			subject =
			    cg_xasprintf("ignore[%s] %s", id, sup->reason);
			if (cg_rule_find(id))
				cg_report(ctx, sup->src, &sup->pos, subject,
					  NULL,
					  "suppression of '%s' matches no "
					  "finding on line %u",
					  id, sup->target_line);
			else
				cg_report(ctx, sup->src, &sup->pos, subject,
					  "see `ciguard rules` for the ids",
					  "suppression names unknown rule '%s'",
					  id);
			free(subject);
		}
	}
}

int cg_check_run(struct cg_diag_list *out, const struct cg_model *m,
		 const struct cg_check_options *o)
{
	struct cg_rule_ctx ctx = {NULL, CG_SEV_OFF, m, out};
	const struct cg_rule *unused = cg_rule_find("unused-suppression");

	for (size_t i = 0; i < cg_nrules; i++) {
		const struct cg_rule *r = cg_rules[i];

		if (!r->check || !selected(r, o))
			continue;
		if (o->layer == CG_LAYER_QUICK && r->layer != CG_LAYER_QUICK)
			continue;
		ctx.rule = r;
		ctx.severity = cg_rule_severity(r, o->config);
		if (ctx.severity == CG_SEV_OFF)
			continue;
		r->check(&ctx, m);
	}
	apply_suppressions(out, m);
	if (unused && o->layer == CG_LAYER_FULL && selected(unused, o)) {
		ctx.rule = unused;
		ctx.severity = cg_rule_severity(unused, o->config);
		if (ctx.severity != CG_SEV_OFF)
			report_unused(&ctx, m, o);
	}
	return 0;
}
