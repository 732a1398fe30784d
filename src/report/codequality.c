/*
 * --format codequality: GitLab's Code Quality report (a subset of the Code
 * Climate issue format), the JSON array that a job's
 * `artifacts: reports: codequality:` hands to the merge request widget.
 * One object per shown finding: description (the message), check_name
 * (the rule id), fingerprint, severity, location.path and
 * location.lines.begin. GitLab keys an issue by its fingerprint, so each
 * must be unique in the report: the finding's own is (it hashes the
 * offending text, not the line, so it survives edits above it, and the
 * n-th equal finding of a file hashes its ordinal in too; see
 * cg_diag_list_fingerprint). Severities: error major, warning minor, note
 * info.
 */
#include "report/report.h"
#include "report/shared.h"
#include "core/banned.h"

static const char *severity_name(enum cg_severity s)
{
	switch (s) {
	case CG_SEV_ERROR:
		return "major";
	case CG_SEV_WARNING:
		return "minor";
	default:
		return "info";
	}
}

int cg_report_codequality(FILE *out, const struct cg_report_input *in)
{
	struct cg_json_writer w;
	bool first = true;

	cg_json_writer_init(&w, out);
	CG_JSON_WRITE_LIT(&w, "[");
	for (size_t i = 0; i < in->diags->n; i++) {
		const struct cg_diag *d = &in->diags->items[i];

		if (!cg_report_shown(d))
			continue;
		if (!first)
			CG_JSON_WRITE_LIT(&w, ",");
		first = false;
		CG_JSON_WRITE_LIT(&w, "\n  {\n    \"description\": ");
		cg_json_writer_string(&w, d->message);
		CG_JSON_WRITE_LIT(&w, ",\n    \"check_name\": ");
		cg_json_writer_string(&w, d->rule);
		CG_JSON_WRITE_LIT(&w, ",\n    \"fingerprint\": ");
		cg_json_writer_string(&w, d->fingerprint);
		CG_JSON_WRITE_LIT(&w, ",\n    \"severity\": ");
		cg_json_writer_string(&w, severity_name(d->severity));
		CG_JSON_WRITE_LIT(&w,
				  ",\n    \"location\": {\n      \"path\": ");
		cg_json_writer_string(&w, d->path);
		/* line 0: about the whole file; GitLab wants a line */
		CG_JSON_WRITE_LIT(&w,
				  ",\n      \"lines\": {\n        \"begin\": ");
		cg_json_writer_int(&w, d->pos.line ? d->pos.line : 1);
		CG_JSON_WRITE_LIT(&w, "\n      }\n    }\n  }");
	}
	if (first)
		CG_JSON_WRITE_LIT(&w, "]\n");
	else
		CG_JSON_WRITE_LIT(&w, "\n]\n");
	return cg_json_writer_finish(&w);
}
