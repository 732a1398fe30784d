/*
 * --format json: the stable contract of DESIGN.md ("JSON output"). The
 * document is built with jansson, so every string is escaped correctly, and
 * written with keys in the order they were added.
 */
#include "report/report.h"
#include "report/shared.h"
#include "core/banned.h"

static json_t *finding_json(const struct cg_diag *d)
{
	json_t *o = json_object();
	int bad = 0;

	if (!o)
		return NULL;
	bad |= json_object_set_new(o, "rule", cg_json_string(d->rule));
	bad |= json_object_set_new(o, "severity",
				   json_string(cg_severity_name(d->severity)));
	bad |= json_object_set_new(o, "path", cg_json_string(d->path));
	bad |= json_object_set_new(o, "line", json_integer(d->pos.line));
	bad |= json_object_set_new(o, "column", json_integer(d->pos.col));
	bad |=
	    json_object_set_new(o, "end_line", json_integer(d->pos.end_line));
	bad |=
	    json_object_set_new(o, "end_column", json_integer(d->pos.end_col));
	bad |= json_object_set_new(o, "message", cg_json_string(d->message));
	bad |= json_object_set_new(o, "hint", cg_json_string(d->hint));
	bad |= json_object_set_new(o, "fingerprint",
				   cg_json_string(d->fingerprint));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *report_json(const struct cg_report_input *in)
{
	json_t *root = json_object(), *tool = json_object();
	json_t *findings = json_array(), *summary = json_object();
	struct cg_report_counts counts;
	int bad = !root || !tool || !findings || !summary;

	if (bad)
		goto out;
	bad |= json_object_set_new(tool, "name", json_string("ciguard"));
	bad |=
	    json_object_set_new(tool, "version", json_string(CIGUARD_VERSION));
	for (size_t i = 0; i < in->diags->n; i++)
		if (cg_report_shown(&in->diags->items[i]))
			bad |= json_array_append_new(
			    findings, finding_json(&in->diags->items[i]));

	cg_report_count(&counts, in);
	bad |= json_object_set_new(summary, "files",
				   json_integer((json_int_t)in->files));
	bad |= json_object_set_new(summary, "errors",
				   json_integer((json_int_t)counts.errors));
	bad |= json_object_set_new(summary, "warnings",
				   json_integer((json_int_t)counts.warnings));
	bad |= json_object_set_new(summary, "notes",
				   json_integer((json_int_t)counts.notes));
	bad |= json_object_set_new(summary, "suppressed",
				   json_integer((json_int_t)in->suppressed));
	bad |= json_object_set_new(summary, "elapsed_ms",
				   json_integer(in->elapsed_ms));

	bad |= json_object_set(root, "tool", tool);
	bad |= json_object_set_new(root, "layer", cg_json_string(in->layer));
	bad |= json_object_set(root, "findings", findings);
	bad |= json_object_set(root, "summary", summary);
out:
	json_decref(tool);
	json_decref(findings);
	json_decref(summary);
	if (bad) {
		json_decref(root);
		return NULL;
	}
	return root;
}

int cg_report_json(FILE *out, const struct cg_report_input *in)
{
	json_t *root = report_json(in);
	int err = cg_json_dump(out, root);

	json_decref(root);
	return err;
}
