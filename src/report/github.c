/*
 * --format github: one GitHub Actions workflow command per finding, which the
 * runner turns into an annotation on the file and line. Values are escaped as
 * the runner unescapes them: in the message '%', CR and LF; in a property
 * value also ':' and ',', which would otherwise end the value. The hint
 * follows the message on a line of its own (an escaped newline).
 */
#include "report/report.h"
#include "report/shared.h"
#include "core/banned.h"

static void put_escaped(FILE *out, const char *s, bool property)
{
	for (; *s; s++) {
		switch (*s) {
		case '%':
			fputs("%25", out);
			break;
		case '\r':
			fputs("%0D", out);
			break;
		case '\n':
			fputs("%0A", out);
			break;
		case ':':
			fputs(property ? "%3A" : ":", out);
			break;
		case ',':
			fputs(property ? "%2C" : ",", out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

/* GitHub's workflow commands say "notice" where we say "note". */
static const char *command_name(enum cg_severity s)
{
	return s == CG_SEV_ERROR || s == CG_SEV_WARNING ? cg_severity_name(s)
							: "notice";
}

static void put_finding(FILE *out, const struct cg_diag *d)
{
	const struct cg_pos *p = &d->pos;

	fprintf(out, "::%s file=", command_name(d->severity));
	put_escaped(out, d->path, true);
	/* line 0: the finding is about the whole file */
	if (p->line) {
		fprintf(out, ",line=%u", (unsigned)p->line);
		if (p->col)
			fprintf(out, ",col=%u", (unsigned)p->col);
		if (p->end_line >= p->line) {
			fprintf(out, ",endLine=%u", (unsigned)p->end_line);
			if (p->end_col)
				fprintf(out, ",endColumn=%u",
					(unsigned)p->end_col);
		}
	}
	fputs(",title=", out);
	put_escaped(out, d->rule, true);
	fputs("::", out);
	put_escaped(out, d->message, false);
	if (d->hint) {
		fputs("%0Ahint: ", out);
		put_escaped(out, d->hint, false);
	}
	fputc('\n', out);
}

int cg_report_github(FILE *out, const struct cg_report_input *in)
{
	for (size_t i = 0; i < in->diags->n; i++)
		if (cg_report_shown(&in->diags->items[i]))
			put_finding(out, &in->diags->items[i]);
	return cg_report_finish(out);
}
