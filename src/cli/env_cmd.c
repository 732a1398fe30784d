/*
 * `ciguard env`: the environment-variable checklist as a table, one row
 * per variable and one column per place (.env.example, code, compose, CI,
 * k8s), each cell where the variable first appears there. The data is the
 * one `env-checklist` judges (rules/checklist.h); values are never shown,
 * only file:line, so no secret can leak through it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ciguard/check.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "report/shared.h"
#include "rules/checklist.h"
#include "core/banned.h"

enum { OPT_FORMAT, OPT_CONFIG };
enum { FMT_TEXT, FMT_MARKDOWN, FMT_JSON };

static const struct cli_opt env_options[] = {
    {"format", 0, "FMT",
     "text (an aligned table, the default), markdown "
     "(for a pull\nrequest) or json",
     OPT_FORMAT},
    {"config", 0, "FILE",
     "configuration (default: PATH/.ciguard.yml if present)", OPT_CONFIG},
};

const struct cli_spec cli_env_spec = {
    .cmd = "env",
    .head =
	"usage: ciguard env [--format text|markdown|json] [--config FILE] "
	"[PATH]\n"
	"\n"
	"Print the environment-variable checklist of the repository at PATH "
	"(default:\nthe enclosing git work tree): one row per app variable, "
	"one column per place\nthat names one (.env.example, code, compose, "
	"CI, k8s), each cell the file:line\nwhere it first appears there. "
	"`missing` marks a place that keeps the app's\nvariables and lacks "
	"this one while another place needs it: what env-checklist\nreports. "
	"`-` is a place that does not name it and need not. A folder with "
	"its\nown example env file is its own part (the `folder` column). "
	"Values are never\nprinted.\n"
	"\n",
    .opts = env_options,
    .nopts = sizeof(env_options) / sizeof(*env_options),
    .tail = "\nexit status: 0 printed, 2 bad usage, bad configuration or "
	    "unreadable PATH.\n",
};

/* A cell's text: "path:line", "missing" or "-". */
static void cell_text(struct cg_buf *b, const struct cg_checklist *cl,
		      const struct cg_cl_row *r, int c)
{
	const struct cg_env_fact *e = r->cell[c].first;
	bool missing[CG_CL_NCOLS];

	cg_buf_reset(b);
	cg_cl_missing(cl, r, missing);
	if (e)
		cg_buf_addf(b, "%s:%u", e->src->path, e->pos.line);
	else if (missing[c])
		cg_buf_addstr(b, "missing");
	else
		cg_buf_addstr(b, "-");
}

/* The columns shown: places some unit keeps variables in, or that name
 * one. */
static void shown_columns(const struct cg_checklist *cl,
			  bool shown[CG_CL_NCOLS])
{
	for (int c = 0; c < CG_CL_NCOLS; c++) {
		shown[c] = cl->has[c];
		for (size_t i = 0; i < cl->nrows && !shown[c]; i++)
			shown[c] = cl->rows[i].cell[c].first != NULL;
	}
}

/* Several parts: the folder column is shown. */
static bool several_units(const struct cg_checklist *cl)
{
	for (size_t i = 1; i < cl->nrows; i++)
		if (cl->rows[i].unit != cl->rows[0].unit)
			return true;
	return false;
}

static const char *folder_of(const struct cg_checklist *cl,
			     const struct cg_cl_row *r)
{
	const char *d = cl->units[r->unit].dir;

	return *d ? d : ".";
}

static void print_table(const struct cg_checklist *cl, bool markdown)
{
	bool shown[CG_CL_NCOLS], folders = several_units(cl);
	size_t width[CG_CL_NCOLS + 2] = {0};
	struct cg_buf b = CG_BUF_INIT;

	if (!cl->nrows) {
		puts("no app variables: no example env file, no app env in "
		     "compose, CI or k8s, and no code that reads one");
		return;
	}
	shown_columns(cl, shown);
	width[0] = strlen("variable");
	width[1] = strlen("folder");
	for (int c = 0; c < CG_CL_NCOLS; c++)
		width[c + 2] = strlen(cg_cl_col_title((enum cg_cl_col)c));
	for (size_t i = 0; i < cl->nrows; i++) {
		const struct cg_cl_row *r = &cl->rows[i];

		if (strlen(r->name) > width[0])
			width[0] = strlen(r->name);
		if (strlen(folder_of(cl, r)) > width[1])
			width[1] = strlen(folder_of(cl, r));
		for (int c = 0; c < CG_CL_NCOLS; c++) {
			cell_text(&b, cl, r, c);
			if (b.len > width[c + 2])
				width[c + 2] = b.len;
		}
	}
	/* the header, then (markdown) the rule under it, then the rows */
	for (size_t line = 0; line < cl->nrows + 2; line++) {
		const struct cg_cl_row *r =
		    line >= 2 ? &cl->rows[line - 2] : NULL;
		const char *sep = markdown ? " | " : "  ";

		if (line == 1 && !markdown)
			continue;
		if (markdown)
			fputs("| ", stdout);
		for (int k = -2; k < CG_CL_NCOLS; k++) {
			const char *text;
			size_t w = width[k + 2];
			bool last = true;

			if (k == -1 && !folders)
				continue;
			if (k >= 0 && !shown[k])
				continue;
			for (int n = k < 0 ? 0 : k + 1; n < CG_CL_NCOLS; n++)
				last = last && !shown[n];
			if (line == 1) {
				cg_buf_reset(&b);
				for (size_t i = 0; i < w; i++)
					cg_buf_addch(&b, '-');
				text = b.buf;
			} else if (k == -2) {
				text = r ? r->name : "variable";
			} else if (k == -1) {
				text = r ? folder_of(cl, r) : "folder";
			} else if (!r) {
				text = cg_cl_col_title((enum cg_cl_col)k);
			} else {
				cell_text(&b, cl, r, k);
				text = b.buf;
			}
			if (last && !markdown)
				fputs(text, stdout);
			else
				printf("%-*s%s", (int)w, text, last ? "" : sep);
		}
		fputs(markdown ? " |\n" : "\n", stdout);
	}
	cg_buf_release(&b);
}

static int print_json(const struct cg_checklist *cl)
{
	json_t *root = json_object(), *places = json_array();
	json_t *units = json_array(), *vars = json_array();
	bool shown[CG_CL_NCOLS];
	int bad = 0;

	shown_columns(cl, shown);
	for (int c = 0; c < CG_CL_NCOLS; c++)
		if (shown[c])
			bad |= json_array_append_new(
			    places, cg_json_string(cg_cl_col_key(c)));
	for (size_t u = 0; u < cl->nunits; u++) {
		json_t *o = json_object();

		bad |= json_object_set_new(o, "folder",
					   cg_json_string(cl->units[u].dir));
		bad |= json_object_set_new(
		    o, "example",
		    cl->units[u].example
			? cg_json_string(cl->units[u].example->path)
			: json_null());
		bad |= json_array_append_new(units, o);
	}
	for (size_t i = 0; i < cl->nrows; i++) {
		const struct cg_cl_row *r = &cl->rows[i];
		json_t *o = json_object(), *at = json_object();
		json_t *missing = json_array();
		bool miss[CG_CL_NCOLS];

		cg_cl_missing(cl, r, miss);
		bad |= json_object_set_new(o, "name", cg_json_string(r->name));
		bad |= json_object_set_new(
		    o, "folder", cg_json_string(cl->units[r->unit].dir));
		for (int c = 0; c < CG_CL_NCOLS; c++) {
			const struct cg_env_fact *e = r->cell[c].first;
			json_t *p;

			if (!shown[c])
				continue;
			if (!e) {
				bad |= json_object_set_new(at, cg_cl_col_key(c),
							   json_null());
				continue;
			}
			p = json_object();
			bad |= json_object_set_new(
			    p, "path", cg_json_string(e->src->path));
			bad |= json_object_set_new(p, "line",
						   json_integer(e->pos.line));
			bad |= json_object_set_new(p, "column",
						   json_integer(e->pos.col));
			bad |= json_object_set_new(
			    p, "needed", json_boolean(r->cell[c].demands));
			bad |= json_object_set_new(at, cg_cl_col_key(c), p);
		}
		for (int c = 0; c < CG_CL_NCOLS; c++)
			if (miss[c])
				bad |= json_array_append_new(
				    missing, cg_json_string(cg_cl_col_key(c)));
		bad |= json_object_set_new(o, "places", at);
		bad |= json_object_set_new(o, "missing", missing);
		bad |= json_array_append_new(vars, o);
	}
	bad |= json_object_set_new(root, "places", places);
	bad |= json_object_set_new(root, "units", units);
	bad |= json_object_set_new(root, "variables", vars);
	if (!bad)
		bad = json_dumpf(root, stdout,
				 JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (bad)
		return cli_fail("env: out of memory writing JSON");
	fputc('\n', stdout);
	return 0;
}

int cmd_env(int argc, char **argv)
{
	const char *root = NULL, *config = NULL;
	struct cg_check_result *res;
	struct cg_checklist cl;
	struct cli_parser p;
	int id, format = FMT_TEXT, rc = 0;

	cli_parser_init(&p, &cli_env_spec, argc, argv);
	while ((id = cli_next(&p)) != CLI_END) {
		if (id == CLI_HELP)
			return 0;
		if (id == CLI_ERROR)
			return 2;
		if (id == OPT_FORMAT) {
			if (!strcmp(p.value, "text"))
				format = FMT_TEXT;
			else if (!strcmp(p.value, "markdown"))
				format = FMT_MARKDOWN;
			else if (!strcmp(p.value, "json"))
				format = FMT_JSON;
			else
				return cli_fail("env: unknown format '%s' "
						"(text, markdown, json)",
						p.value);
		} else if (id == OPT_CONFIG) {
			config = p.value;
		} else if (id == CLI_ARG) {
			if (root)
				return cli_fail("env: unexpected argument "
						"'%s' (one PATH at most)",
						p.arg);
			root = p.arg;
		}
		/* CLI_DASHDASH: what follows is positional */
	}
	if (!(res = cli_repo_model(root, config, "env-checklist")))
		return 2;
	cg_checklist_build(cg_check_result_model(res), &cl);
	if (format == FMT_JSON)
		rc = print_json(&cl);
	else
		print_table(&cl, format == FMT_MARKDOWN);
	cg_checklist_release(&cl);
	cg_check_result_free(res);
	if (fflush(stdout) != 0)
		return cli_fail("env: cannot write the output");
	return rc;
}
