/*
 * The filter stage: what of the rules' findings a report shows, and whether
 * the run fails. cg_check (check.c) runs it after the rules, in this order:
 * inline suppressions (and unused-suppression for the ones that matched
 * nothing), sort + fingerprint, the baseline, the fail_on verdict. A hidden
 * finding stays in the list, marked (suppressed 1 inline, 2 baseline), so
 * that it is counted and a baseline can be written from the rest.
 *
 * The baseline is the JSON written by cg_baseline_write; only each entry's
 * "fingerprint" is read back (rule, path and message are there for the
 * reader of a diff). Fingerprints hash the offending text, not the line, so
 * a baseline survives unrelated edits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ciguard/check.h"
#include "rules/rule.h"
#include "core/banned.h"

bool cg_rule_selected(const struct cg_rule *r, const struct cg_check_options *o)
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
	return (r->check || r->code) && cg_rule_selected(r, o) &&
	       cg_rule_severity(r, o->config) != CG_SEV_OFF;
}

static void mark_suppressed(struct cg_diag_list *l, const struct cg_model *m,
			    bool *used)
{
	for (size_t i = 0; i < l->n; i++) {
		struct cg_diag *d = &l->items[i];
		size_t u = 0;

		for (size_t s = 0; s < m->nsuppressions; s++) {
			const struct cg_suppression *sup = &m->suppressions[s];
			bool covers = !d->suppressed &&
				      sup->target_line == d->pos.line &&
				      !strcmp(sup->src->path, d->path);

			for (size_t k = 0; k < sup->nids; k++, u++)
				if (covers && !strcmp(sup->ids[k], d->rule)) {
					used[u] = true;
					d->suppressed = 1;
					covers = false;
				}
		}
	}
}

static void add_unused(struct cg_diag_list *l, const struct cg_model *m,
		       const struct cg_check_options *o, const bool *used)
{
	const struct cg_rule *unused = cg_rule_find("unused-suppression");
	enum cg_severity sev;
	size_t u = 0;

	if (!unused || o->layer != CG_LAYER_FULL ||
	    !cg_rule_selected(unused, o) ||
	    (sev = cg_rule_severity(unused, o->config)) == CG_SEV_OFF)
		return;
	for (size_t s = 0; s < m->nsuppressions; s++) {
		const struct cg_suppression *sup = &m->suppressions[s];

		for (size_t k = 0; k < sup->nids; k++, u++) {
			const char *id = sup->ids[k];
			char *subject, *msg;
			bool known = cg_rule_find(id) != NULL;

			if (used[u] || !ran(id, o))
				continue;
			subject =
			    cg_xasprintf("ignore[%s] %s", id, sup->reason);
			if (known)
				msg =
				    cg_xasprintf("suppression of '%s' matches "
						 "no finding on line %u",
						 id, sup->target_line);
			else
				msg = cg_xasprintf("suppression names unknown "
						   "rule '%s'",
						   id);
			cg_diag_list_add(
			    l, unused->id, sev, sup->src->path, &sup->pos,
			    subject,
			    known ? unused->hint
				  : "see `ciguard rules` for the ids",
			    msg);
			free(subject);
			free(msg);
		}
	}
}

void cg_filter_suppressions(struct cg_diag_list *l, const struct cg_model *m,
			    const struct cg_check_options *o)
{
	size_t nids = 0;
	bool *used;

	for (size_t s = 0; s < m->nsuppressions; s++)
		nids += m->suppressions[s].nids;
	used = cg_xcalloc(nids, sizeof(*used));
	mark_suppressed(l, m, used);
	add_unused(l, m, o, used);
	free(used);
}

/* ------------------------------------------------------------ baseline */

void cg_baseline_init(struct cg_baseline *b)
{
	b->fingerprints = NULL;
	b->n = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cg_baseline_load(struct cg_baseline *b, const char *file)
{
	json_error_t jerr;
	json_t *root = json_load_file(file, 0, &jerr), *list, *item;
	size_t i;

	if (!root && jerr.line < 1) /* not opened, or empty */
		return cg_error_set(CG_EIO, "%s: cannot read baseline: %s",
				    file, jerr.text);
	if (!root)
		return cg_error_set(CG_EPARSE,
				    "%s:%d:%d: cannot read baseline: %s", file,
				    jerr.line, jerr.column, jerr.text);
	list = json_object_get(root, "findings");
	if (!json_is_array(list)) {
		json_decref(root);
		return cg_error_set(CG_EPARSE,
				    "%s: not a ciguard baseline (no "
				    "\"findings\" list); write one with "
				    "--write-baseline",
				    file);
	}
	b->fingerprints =
	    cg_xcalloc(json_array_size(list), sizeof(*b->fingerprints));
	json_array_foreach(list, i, item)
	{
		const char *fp =
		    json_string_value(json_object_get(item, "fingerprint"));

		if (fp)
			b->fingerprints[b->n++] = cg_xstrdup(fp);
	}
	qsort(b->fingerprints, b->n, sizeof(*b->fingerprints), cmp_str);
	json_decref(root);
	return 0;
}

size_t cg_baseline_apply(const struct cg_baseline *b, struct cg_diag_list *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++) {
		struct cg_diag *d = &l->items[i];
		const char *fp = d->fingerprint;

		if (!d->suppressed && b->n &&
		    bsearch(&fp, b->fingerprints, b->n,
			    sizeof(*b->fingerprints), cmp_str)) {
			d->suppressed = 2;
			n++;
		}
	}
	return n;
}

void cg_baseline_release(struct cg_baseline *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->fingerprints[i]);
	free(b->fingerprints);
	cg_baseline_init(b);
}

int cg_baseline_write(const char *file, const struct cg_diag_list *l,
		      size_t *out_written)
{
	json_t *root = json_object(), *list = json_array();
	size_t n = 0;
	int err = 0;

	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "tool", json_string("ciguard"));
	for (size_t i = 0; i < l->n; i++) {
		const struct cg_diag *d = &l->items[i];
		json_t *item;

		if (d->suppressed)
			continue;
		item = json_object();
		json_object_set_new(item, "fingerprint",
				    json_string(d->fingerprint));
		json_object_set_new(item, "rule", json_string(d->rule));
		json_object_set_new(item, "path", json_string(d->path));
		json_object_set_new(item, "message", json_string(d->message));
		json_array_append_new(list, item);
		n++;
	}
	json_object_set_new(root, "findings", list);
	errno = 0;
	if (json_dump_file(root, file, JSON_INDENT(2) | JSON_PRESERVE_ORDER) <
	    0)
		err =
		    cg_error_set(CG_EIO, "cannot write baseline '%s': %s", file,
				 errno ? strerror(errno) : "out of memory");
	json_decref(root);
	if (out_written)
		*out_written = err ? 0 : n;
	return err;
}

/* ------------------------------------------------------------- verdict */

static bool shown(const struct cg_diag *d)
{
	return !d->suppressed && d->severity != CG_SEV_OFF;
}

void cg_filter_count(const struct cg_diag_list *l, enum cg_severity fail_on,
		     struct cg_check_summary *out)
{
	if (fail_on == CG_SEV_OFF)
		fail_on = CG_SEV_ERROR;
	out->errors = out->warnings = out->notes = 0;
	out->suppressed = out->baselined = 0;
	out->failed = false;
	for (size_t i = 0; i < l->n; i++) {
		const struct cg_diag *d = &l->items[i];

		if (d->suppressed == 1)
			out->suppressed++;
		else if (d->suppressed)
			out->baselined++;
		if (!shown(d))
			continue;
		if (d->severity == CG_SEV_ERROR)
			out->errors++;
		else if (d->severity == CG_SEV_WARNING)
			out->warnings++;
		else
			out->notes++;
		if (d->severity >= fail_on)
			out->failed = true;
	}
}
