/*
 * `ciguard check`: options -> cg_check (ciguard/check.h: config, model,
 * rules, and the filter stage: suppressions, baseline, --fail-on) ->
 * report -> exit status (0 clean, 1 findings at or above --fail-on, 2
 * could not do the job).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ciguard/check.h"
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
    {"quick", 0, NULL,
     "CI config, compose, Dockerfile and env files only (pre-commit)",
     OPT_QUICK},
    {"staged", 0, NULL,
     "check what is staged in the git index, not the\nwork tree", OPT_STAGED},
    {"format", 0, "FMT",
     "text (default), json, sarif, github,\ncodequality (GitLab)", OPT_FORMAT},
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
     "read files and run rules on N threads (default:\nthe cores ciguard may "
     "use); the output is the same\nwhatever N is",
     OPT_JOBS},
    {"color", 0, "WHEN",
     "auto (default: on a terminal, unless NO_COLOR is\nset), always, never",
     OPT_COLOR},
};

const struct cli_spec cli_check_spec = {
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
					"json, sarif, github, codequality)",
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

	cli_parser_init(&p, &cli_check_spec, argc, argv);
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

/* The text report's source lines: the files the check read. */
static const struct cg_src *find_src(void *res, const char *path)
{
	return cg_model_find_src(cg_check_result_model(res), path);
}

/*
 * The text report quotes the source line of each finding, and a file whose
 * text the model dropped is read back on the way (find_src). Read them all
 * back before the report's first byte: out of memory then never stops a
 * report half-way, half of it already on stdout.
 */
static void read_quoted_sources(struct cg_check_result *res,
				const struct cg_diag_list *diags)
{
	for (size_t i = 0; i < diags->n; i++) {
		const struct cg_diag *d = &diags->items[i];

		/* the findings the report shows: cg_report_shown */
		if (!d->suppressed && d->severity != CG_SEV_OFF && d->pos.line)
			find_src(res, d->path);
	}
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

/* Every rule with its effective severity, for SARIF (caller frees). */
static struct cg_report_rule *rule_info(const struct cg_config *config)
{
	struct cg_report_rule *rinfo = cg_xcalloc(cg_nrules, sizeof(*rinfo));

	for (size_t i = 0; i < cg_nrules; i++) {
		rinfo[i].id = cg_rules[i]->id;
		rinfo[i].summary = cg_rules[i]->summary;
		rinfo[i].help = cg_rules[i]->explain;
		rinfo[i].level = cg_rule_severity(cg_rules[i], config);
	}
	return rinfo;
}

int cmd_check(int argc, char **argv)
{
	struct opts o;
	struct cg_check_opts copt;
	struct cg_check_result *res = NULL;
	const struct cg_check_summary *sum;
	const char *const *notes;
	struct cg_report_rule *rinfo = NULL;
	struct cg_report_input in;
	size_t nnotes;
	long t0 = cg_now_ms();
	int rc = 2;

	memset(&o, 0, sizeof(o));
	o.format = CG_FORMAT_TEXT;
	o.fail_on = CG_SEV_ERROR;
	o.color = -1;
	switch (parse_args(&o, argc, argv)) {
	case 0:
		break;
	case 1:
		rc = 0;
		goto out;
	default:
		goto out;
	}

	cg_heap_tune_process();
	memset(&copt, 0, sizeof(copt));
	copt.root = o.path;
	copt.quick = o.quick;
	copt.staged = o.staged;
	copt.config = o.config;
	copt.baseline = o.baseline;
	copt.fail_on = o.fail_on;
	copt.rules = o.only;
	copt.nrules = o.nonly;
	copt.jobs = (unsigned)o.jobs;
	if (cg_check(&res, &copt) < 0) {
		cli_fail("%s", cg_check_last_error());
		goto out;
	}
	notes = cg_check_result_notes(res, &nnotes);
	for (size_t i = 0; i < nnotes; i++)
		fprintf(stderr, "ciguard: note: %s\n", notes[i]);
	sum = cg_check_result_summary(res);

	if (o.write_baseline) {
		size_t n;

		if (cg_check_write_baseline(res, o.write_baseline, &n) < 0) {
			cli_fail("%s", cg_check_last_error());
			goto out;
		}
		fprintf(stderr,
			"ciguard: wrote %zu finding%s to baseline '%s'\n", n,
			n == 1 ? "" : "s", o.write_baseline);
		rc = 0;
		goto out;
	}

	rinfo = rule_info(cg_check_result_config(res));
	memset(&in, 0, sizeof(in));
	in.diags = cg_check_result_list(res);
	in.layer = o.quick ? "quick" : "full";
	in.files = sum->files;
	in.suppressed = sum->suppressed + sum->baselined;
	in.elapsed_ms = cg_now_ms() - t0;
	in.rules = rinfo;
	in.nrules = cg_nrules;
	in.find_src = find_src;
	in.find_src_ctx = res;
	in.color = o.format == CG_FORMAT_TEXT && use_color(o.color);
	if (o.format == CG_FORMAT_TEXT)
		read_quoted_sources(res, in.diags);
	if (cg_report_write(stdout, o.format, &in) < 0) {
		cli_fail("%s", cg_error_last());
		goto out;
	}
	rc = sum->failed ? 1 : 0;
out:
	free(rinfo);
	/* The result holds the model of the repository: for a big one,
	 * ~100 MB in a million pieces. Freeing it just before the process
	 * exits took ~5 % of a check, for nothing: the system takes it
	 * back at once. Sanitizer builds free it, to find leaks. */
	if (CG_ASAN)
		cg_check_result_free(res);
	free(o.only);
	return rc;
}
