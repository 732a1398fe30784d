/*
 * --format json: the stable contract of DESIGN.md ("JSON output"). The
 * document is written straight out through cg_json_writer (shared.h), in the
 * bytes jansson's dump with JSON_INDENT(2) | JSON_PRESERVE_ORDER gives: a
 * key per line, two spaces per level, "key": value, an empty array as [].
 * The report used to be a jansson tree, which cost a malloc and a hash per
 * key of every finding; the bytes stayed, and the tests pin them.
 */
#include "report/report.h"
#include "report/shared.h"
#include "core/banned.h"

static void write_finding(struct cg_json_writer *w, const struct cg_diag *d)
{
	CG_JSON_WRITE_LIT(w, "    {\n      \"rule\": ");
	cg_json_writer_string(w, d->rule);
	CG_JSON_WRITE_LIT(w, ",\n      \"severity\": ");
	cg_json_writer_string(w, cg_severity_name(d->severity));
	CG_JSON_WRITE_LIT(w, ",\n      \"path\": ");
	cg_json_writer_string(w, d->path);
	CG_JSON_WRITE_LIT(w, ",\n      \"line\": ");
	cg_json_writer_int(w, d->pos.line);
	CG_JSON_WRITE_LIT(w, ",\n      \"column\": ");
	cg_json_writer_int(w, d->pos.col);
	CG_JSON_WRITE_LIT(w, ",\n      \"end_line\": ");
	cg_json_writer_int(w, d->pos.end_line);
	CG_JSON_WRITE_LIT(w, ",\n      \"end_column\": ");
	cg_json_writer_int(w, d->pos.end_col);
	CG_JSON_WRITE_LIT(w, ",\n      \"message\": ");
	cg_json_writer_string(w, d->message);
	CG_JSON_WRITE_LIT(w, ",\n      \"hint\": ");
	cg_json_writer_string(w, d->hint);
	CG_JSON_WRITE_LIT(w, ",\n      \"fingerprint\": ");
	cg_json_writer_string(w, d->fingerprint);
	CG_JSON_WRITE_LIT(w, "\n    }");
}

int cg_report_json(FILE *out, const struct cg_report_input *in)
{
	struct cg_json_writer w;
	struct cg_report_counts counts;
	size_t shown = 0;

	cg_json_writer_init(&w, out);
	CG_JSON_WRITE_LIT(&w, "{\n  \"tool\": {\n    \"name\": ");
	cg_json_writer_string(&w, "ciguard");
	CG_JSON_WRITE_LIT(&w, ",\n    \"version\": ");
	cg_json_writer_string(&w, CIGUARD_VERSION);
	CG_JSON_WRITE_LIT(&w, "\n  },\n  \"layer\": ");
	cg_json_writer_string(&w, in->layer);
	CG_JSON_WRITE_LIT(&w, ",\n  \"findings\": [");
	for (size_t i = 0; i < in->diags->n; i++) {
		if (!cg_report_shown(&in->diags->items[i]))
			continue;
		if (shown++)
			CG_JSON_WRITE_LIT(&w, ",");
		CG_JSON_WRITE_LIT(&w, "\n");
		write_finding(&w, &in->diags->items[i]);
	}
	if (shown)
		CG_JSON_WRITE_LIT(&w, "\n  ");
	CG_JSON_WRITE_LIT(&w, "],\n  \"summary\": {\n    \"files\": ");

	cg_report_count(&counts, in);
	cg_json_writer_int(&w, (long long)in->files);
	CG_JSON_WRITE_LIT(&w, ",\n    \"errors\": ");
	cg_json_writer_int(&w, (long long)counts.errors);
	CG_JSON_WRITE_LIT(&w, ",\n    \"warnings\": ");
	cg_json_writer_int(&w, (long long)counts.warnings);
	CG_JSON_WRITE_LIT(&w, ",\n    \"notes\": ");
	cg_json_writer_int(&w, (long long)counts.notes);
	CG_JSON_WRITE_LIT(&w, ",\n    \"suppressed\": ");
	cg_json_writer_int(&w, (long long)in->suppressed);
	CG_JSON_WRITE_LIT(&w, ",\n    \"elapsed_ms\": ");
	cg_json_writer_int(&w, in->elapsed_ms);
	CG_JSON_WRITE_LIT(&w, "\n  }\n}\n");
	return cg_json_writer_finish(&w);
}
