/*
 * `ciguard check`: options -> config -> model -> rules -> suppressions ->
 * baseline -> report -> exit status (0 clean, 1 findings at or above
 * --fail-on, 2 could not do the job).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "report/report.h"
#include "rules/rule.h"
#include "core/banned.h"

enum {
	OPT_QUICK,
	OPT_STAGED,
	OPT_FORMAT,
	OPT_CONFIG,
	OPT_BASELINE,
	OPT_WRITE_BASELINE,
	OPT_FAIL_ON,
	OPT_RULE,
	OPT_JOBS,
	OPT_COLOR,
};

static const struct cli_opt options[] = {
    {"quick", 0, NULL, "CI config, compose and env files only (pre-commit)",
     OPT_QUICK},
    {"staged", 0, NULL,
     "check what is staged in the git index, not the\nwork tree", OPT_STAGED},
    {"format", 0, "FMT", "text (default), json, sarif, github", OPT_FORMAT},
    {"config", 0, "FILE",
     "configuration (default: PATH/.ciguard.yml if present)", OPT_CONFIG},
    {"baseline", 0, "FILE", "hide findings recorded in FILE", OPT_BASELINE},
    {"write-baseline", 0, "FILE", "record the current findings in FILE, exit 0",
     OPT_WRITE_BASELINE},
    {"fail-on", 0, "LEVEL",
     "exit 1 on findings at or above LEVEL: error\n(default), warning or "
     "note",
     OPT_FAIL_ON},
    {"rule", 0, "ID", "run only rule ID (repeatable)", OPT_RULE},
    {"jobs", 0, "N",
     "accepted for compatibility; files are read on one\nthread", OPT_JOBS},
    {"color", 0, "WHEN",
     "auto (default: on a terminal, unless NO_COLOR is\nset), always, never",
     OPT_COLOR},
};

static const struct cli_spec spec = {
    .cmd = "check",
    .head =
	"usage: ciguard check [PATH] [options]\n"
	"\n"
	"Check the repository at PATH (default: the enclosing git work tree, "
	"else\nthe current folder) for CI mistakes. In a git work tree the "
	"tracked and\nuntracked-not-ignored files are read; elsewhere every "
	"file except .git,\nnode_modules, vendor and .venv.\n"
	"\n"
	"CI scripts are judged as bash/sh run them (GitHub run: steps, "
	"composite\nactions, GitLab jobs). Steps in pwsh (the default on "
	"windows-* runners),\npowershell, cmd or python are not checked: a "
	"note names them.\n`ciguard explain masked-failure` says what is and "
	"is not followed.\n"
	"\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(*options),
    .column = 26,
    .tail = "\n"
	    "exit status: 0 no finding at or above --fail-on, 1 findings, 2 "
	    "bad usage,\nbad configuration or unreadable PATH.\n",
};

struct opts {
	const char *path;
	bool quick, staged;
	int format;
	const char *config, *baseline, *write_baseline;
	enum cg_severity fail_on;
	const char **only;
	size_t nonly;
	long jobs;
	int color; /* -1 auto, 0 never, 1 always */
};

/* One option's value into `o`: 0, or 2 after the message. */
static int set_option(struct opts *o, int id, const char *v)
{
	switch (id) {
	case OPT_QUICK:
		o->quick = true;
		break;
	case OPT_STAGED:
		o->staged = true;
		break;
	case OPT_FORMAT:
		if ((o->format = cg_format_parse(v)) < 0)
			return cli_fail("check: unknown format '%s' (text, "
					"json, sarif, github)",
					v);
		break;
	case OPT_CONFIG:
		o->config = v;
		break;
	case OPT_BASELINE:
		o->baseline = v;
		break;
	case OPT_WRITE_BASELINE:
		o->write_baseline = v;
		break;
	case OPT_FAIL_ON:
		if (!strcmp(v, "error"))
			o->fail_on = CG_SEV_ERROR;
		else if (!strcmp(v, "warning"))
			o->fail_on = CG_SEV_WARNING;
		else if (!strcmp(v, "note"))
			o->fail_on = CG_SEV_NOTE;
		else
			return cli_fail("check: --fail-on takes error, "
					"warning or note, not '%s'",
					v);
		break;
	case OPT_RULE:
		if (!cg_rule_find(v))
			return cli_fail("check: no rule '%s' (see 'ciguard "
					"rules')",
					v);
		o->only =
		    cg_xrealloc(o->only, (o->nonly + 1) * sizeof(*o->only));
		o->only[o->nonly++] = v;
		break;
	case OPT_JOBS: {
		char *end;

		errno = 0;
		o->jobs = strtol(v, &end, 10);
		if (errno || end == v || *end || o->jobs < 1 || o->jobs > 1024)
			return cli_fail("check: --jobs takes a number from 1 "
					"to 1024, not '%s'",
					v);
		break;
	}
	case OPT_COLOR:
		if (!strcmp(v, "auto"))
			o->color = -1;
		else if (!strcmp(v, "always"))
			o->color = 1;
		else if (!strcmp(v, "never"))
			o->color = 0;
		else
			return cli_fail("check: --color takes auto, always "
					"or never, not '%s'",
					v);
		break;
	}
	return 0;
}

/* 0, 1 after --help, 2 after an error message. */
static int parse_args(struct opts *o, int argc, char **argv)
{
	struct cli_parser p;
	int id;

	cli_parser_init(&p, &spec, argc, argv);
	while ((id = cli_next(&p)) != CLI_END) {
		if (id == CLI_HELP)
			return 1;
		if (id == CLI_ERROR)
			return 2;
		if (id == CLI_DASHDASH)
			continue; /* the rest are PATHs */
		if (id == CLI_ARG) {
			if (o->path)
				return cli_fail("check: more than one PATH "
						"('%s', '%s')",
						o->path, p.arg);
			o->path = p.arg;
			continue;
		}
		if (set_option(o, id, p.value))
			return 2;
	}
	return 0;
}

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

static const struct cg_src *find_src(void *ctx, const char *path)
{
	return cg_model_find_src(ctx, path);
}

static int read_baseline(const char *file, struct cg_diag_list *diags,
			 size_t *suppressed)
{
	json_error_t jerr;
	json_t *root = json_load_file(file, 0, &jerr), *list;
	size_t i;
	json_t *item;

	if (!root)
		return cli_fail("%s:%d:%d: cannot read baseline: %s", file,
				jerr.line, jerr.column, jerr.text);
	list = json_object_get(root, "findings");
	if (!json_is_array(list)) {
		json_decref(root);
		return cli_fail("%s: not a ciguard baseline (no "
				"\"findings\" list); write one with "
				"--write-baseline",
				file);
	}
	json_array_foreach(list, i, item)
	{
		const char *fp =
		    json_string_value(json_object_get(item, "fingerprint"));

		if (!fp)
			continue;
		for (size_t k = 0; k < diags->n; k++) {
			struct cg_diag *d = &diags->items[k];

			if (!d->suppressed && !strcmp(d->fingerprint, fp)) {
				d->suppressed = 2;
				++*suppressed;
			}
		}
	}
	json_decref(root);
	return 0;
}

static int write_baseline(const char *file, const struct cg_diag_list *diags)
{
	json_t *root = json_object(), *list = json_array();
	int rc = 0;
	size_t n = 0;

	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "tool", json_string("ciguard"));
	for (size_t i = 0; i < diags->n; i++) {
		const struct cg_diag *d = &diags->items[i];
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
	if (json_dump_file(root, file, JSON_INDENT(2) | JSON_PRESERVE_ORDER) <
	    0)
		rc = cli_fail("cannot write baseline '%s': %s", file,
			      strerror(errno));
	else
		fprintf(stderr,
			"ciguard: wrote %zu finding%s to baseline "
			"'%s'\n",
			n, n == 1 ? "" : "s", file);
	json_decref(root);
	return rc;
}

static bool use_color(int want)
{
	const char *nc = getenv("NO_COLOR");

	if (want >= 0)
		return want == 1;
	if (nc && *nc)
		return false;
	return isatty(STDOUT_FILENO);
}

int cmd_check(int argc, char **argv)
{
	struct opts o;
	struct cg_config config;
	struct cg_model model;
	struct cg_model_options mopt;
	struct cg_check_options copt;
	struct cg_diag_list diags;
	struct cg_report_rule *rinfo = NULL;
	struct cg_report_input in;
	char *root = NULL, *cfg_path = NULL;
	size_t suppressed = 0;
	bool model_built = false;
	long t0 = cg_now_ms();
	int rc = 2, err;

	memset(&o, 0, sizeof(o));
	o.format = CG_FORMAT_TEXT;
	o.fail_on = CG_SEV_ERROR;
	o.color = -1;
	cg_config_init(&config);
	cg_diag_list_init(&diags);
	switch (parse_args(&o, argc, argv)) {
	case 0:
		break;
	case 1:
		rc = 0;
		goto out;
	default:
		goto out;
	}
	root = o.path ? cg_xstrdup(o.path) : default_root();
	if (access(root, F_OK) < 0) {
		cli_fail("cannot read '%s': %s", root, strerror(errno));
		goto out;
	}

	/* configuration: --config FILE must exist; the default may not */
	if (o.config) {
		cfg_path = cg_xstrdup(o.config);
	} else {
		cfg_path = cg_xasprintf("%s/.ciguard.yml", root);
		if (access(cfg_path, F_OK) < 0) {
			free(cfg_path);
			cfg_path = NULL;
		}
	}
	if (cfg_path) {
		const char *display = o.config ? o.config : ".ciguard.yml";

		if (cg_config_load(&config, cfg_path, display) < 0) {
			cli_fail("%s", cg_error_last());
			goto out;
		}
		for (size_t i = 0; i < config.nrules; i++)
			if (!cg_rule_find(config.rules[i].id)) {
				cli_fail("%s:%u:%u: unknown rule '%s' in "
					 "'rules' (see 'ciguard rules')",
					 display, config.rules[i].pos.line,
					 config.rules[i].pos.col,
					 config.rules[i].id);
				goto out;
			}
	}

	memset(&mopt, 0, sizeof(mopt));
	mopt.root = root;
	mopt.layer = o.quick ? CG_LAYER_QUICK : CG_LAYER_FULL;
	mopt.staged = o.staged;
	mopt.jobs = (unsigned)(o.jobs ? o.jobs : 1);
	mopt.config = &config;
	if ((err = cg_model_build(&model, &mopt)) < 0) {
		cli_fail("%s", cg_error_last());
		goto out;
	}
	model_built = true;
	for (size_t i = 0; i < model.nnotes; i++)
		fprintf(stderr, "ciguard: note: %s\n", model.notes[i].message);

	memset(&copt, 0, sizeof(copt));
	copt.layer = mopt.layer;
	copt.only = o.only;
	copt.nonly = o.nonly;
	copt.config = &config;
	cg_check_run(&diags, &model, &copt);
	cg_diag_list_sort(&diags);
	cg_diag_list_dedupe(&diags);
	cg_diag_list_fingerprint(&diags);
	for (size_t i = 0; i < diags.n; i++)
		if (diags.items[i].suppressed)
			suppressed++;
	if (o.baseline && read_baseline(o.baseline, &diags, &suppressed))
		goto out;
	if (o.write_baseline) {
		rc = write_baseline(o.write_baseline, &diags);
		goto out;
	}

	rinfo = cg_xcalloc(cg_nrules, sizeof(*rinfo));
	for (size_t i = 0; i < cg_nrules; i++) {
		rinfo[i].id = cg_rules[i]->id;
		rinfo[i].summary = cg_rules[i]->summary;
		rinfo[i].help = cg_rules[i]->explain;
		rinfo[i].level = cg_rule_severity(cg_rules[i], &config);
	}
	memset(&in, 0, sizeof(in));
	in.diags = &diags;
	in.layer = o.quick ? "quick" : "full";
	in.files = model.nfiles;
	in.suppressed = suppressed;
	in.elapsed_ms = cg_now_ms() - t0;
	in.rules = rinfo;
	in.nrules = cg_nrules;
	in.find_src = find_src;
	in.find_src_ctx = &model;
	in.color = o.format == CG_FORMAT_TEXT && use_color(o.color);
	if (cg_report_write(stdout, o.format, &in) < 0) {
		cli_fail("cannot write the report: %s", strerror(errno));
		goto out;
	}
	rc = 0;
	for (size_t i = 0; i < diags.n; i++)
		if (!diags.items[i].suppressed &&
		    diags.items[i].severity >= o.fail_on &&
		    diags.items[i].severity != CG_SEV_OFF)
			rc = 1;
out:
	free(rinfo);
	cg_diag_list_release(&diags);
	if (model_built)
		cg_model_release(&model);
	cg_config_release(&config);
	free(o.only);
	free(root);
	free(cfg_path);
	return rc;
}
