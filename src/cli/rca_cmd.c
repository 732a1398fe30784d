/*
 * ciguard rca new "TITLE" | rca list: the root-cause analysis the incident
 * checklist ends with, as a file in the repository. `new` writes
 * DIR/RCA-YYYY-MM-DD-slug.md (DIR: docs/rca under the repository) from a
 * template whose sections follow the prevention layers, with the state
 * of things at writing filled in: doctor's verdicts (`ciguard doctor
 * --json`, run as a child of this very program), the last commits, and
 * the full check's findings. It never overwrites: a name taken gets -2,
 * -3, ... (O_EXCL, so two writers cannot race). `list` prints each RCA's
 * date and title.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ciguard/check.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "core/core.h"
#include "core/banned.h"

enum { OPT_DIR };

static const struct cli_opt options[] = {
    {"dir", 0, "DIR",
     "where the RCAs are (default: docs/rca in the\nrepository)", OPT_DIR},
};

const struct cli_spec cli_rca_spec = {
    .cmd = "rca",
    .head = "usage: ciguard rca new TITLE [--dir DIR] [PATH]\n"
	    "       ciguard rca list [--dir DIR] [PATH]\n"
	    "\n"
	    "new: write DIR/RCA-YYYY-MM-DD-slug.md, a root-cause analysis "
	    "of TITLE:\nsummary, impact, timeline, root cause; why each layer "
	    "missed it (pre-commit,\npre-push, CI self-verification, tests); "
	    "fix, prevention, regression test;\nand, filled in, doctor's "
	    "verdicts now, the last commits and the check's\nfindings. An "
	    "existing file is never overwritten: the name gets -2, -3...\n"
	    "list: each RCA in DIR with its date and title.\n"
	    "PATH: the repository (default: the enclosing git work tree, "
	    "else the\ncurrent folder).\n"
	    "\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(*options),
    .tail = "\nexit status: 0 written or listed, 2 bad usage or a file "
	    "that cannot be\nwritten or read.\n",
};

static const char *const verbs[] = {"new", "list", NULL};

/* The repository: PATH, else the enclosing git work tree, else ".". */
static char *repo_root(const char *path)
{
	const char *argv[] = {"git", "rev-parse", "--show-toplevel", NULL};
	struct cg_buf b = CG_BUF_INIT;

	if (path)
		return cg_xstrdup(path);
	if (cg_run_capture(argv, NULL, &b) == 0 && b.len) {
		while (b.len && b.buf[b.len - 1] == '\n')
			b.buf[--b.len] = '\0';
		return cg_buf_detach(&b, NULL);
	}
	cg_buf_release(&b);
	return cg_xstrdup(".");
}

/* "Workers lost their logs!" -> "workers-lost-their-logs" (at most 60). */
static char *slug_of(const char *title)
{
	char *s = cg_xcalloc(1, 61);
	size_t n = 0;

	for (const char *p = title; *p && n < 60; p++) {
		unsigned char c = (unsigned char)*p;

		if (isalnum(c) && c < 128)
			s[n++] = (char)tolower(c);
		else if (n && s[n - 1] != '-')
			s[n++] = '-';
	}
	while (n && s[n - 1] == '-')
		s[--n] = '\0';
	if (!n)
		memcpy(s, "incident", sizeof("incident"));
	return s;
}

/* mkdir -p */
static int make_dirs(const char *dir)
{
	char *d = cg_xstrdup(dir);

	for (char *p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(d, 0755) < 0 && errno != EEXIST)
			break;
		*p = '/';
	}
	if (mkdir(d, 0755) < 0 && errno != EEXIST) {
		cli_fail("rca: cannot make '%s': %s", d, strerror(errno));
		free(d);
		return -1;
	}
	free(d);
	return 0;
}

/* Doctor's verdicts, from `ciguard doctor --json ROOT` run by this
 * program; a line saying why when there are none. */
static void doctor_section(FILE *out, const char *root)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct cg_buf b = CG_BUF_INIT;
	json_error_t jerr;
	json_t *doc = NULL, *items;
	int status = -1;

	if (n > 0) {
		const char *argv[] = {self, "doctor", "--json", "--timeout",
				      "2s", root,     NULL};

		self[n] = '\0';
		status = cg_run_capture(argv, NULL, &b);
	}
	if (status < 0 || status > 1 ||
	    !(doc = json_loadb(b.buf ? b.buf : "", b.len, 0, &jerr)) ||
	    !json_is_array(items = json_object_get(doc, "items"))) {
		fprintf(out,
			"(`ciguard doctor` gave no verdicts: exit status "
			"%d)\n",
			status);
		goto out;
	}
	fprintf(out, "Environment: %s.\n\n",
		json_string_value(json_object_get(doc, "environment"))
		    ? json_string_value(json_object_get(doc, "environment"))
		    : "?");
	for (size_t i = 0; i < json_array_size(items); i++) {
		json_t *it = json_array_get(items, i);
		const char *g = json_string_value(json_object_get(it, "group"));
		const char *name =
		    json_string_value(json_object_get(it, "name"));
		const char *v =
		    json_string_value(json_object_get(it, "verdict"));
		const char *why =
		    json_string_value(json_object_get(it, "reason"));

		fprintf(out, "- %s / %s: **%s**%s%s\n", g ? g : "?",
			name ? name : "?", v ? v : "?", why ? ": " : "",
			why ? why : "");
	}
	if (!json_array_size(items))
		fputs("(no services, workers or repository items)\n", out);
out:
	json_decref(doc);
	cg_buf_release(&b);
}

static void commits_section(FILE *out, const char *root)
{
	const char *argv[] = {"git",
			      "log",
			      "-n",
			      "10",
			      "--date=short",
			      "--format=- "
			      "`%h` %ad %s",
			      NULL};
	struct cg_buf b = CG_BUF_INIT;

	if (cg_run_capture(argv, root, &b) == 0 && b.len)
		fwrite(b.buf, 1, b.len, out);
	else
		fputs("(no git history here)\n", out);
	cg_buf_release(&b);
}

static void findings_section(FILE *out, const char *root)
{
	struct cg_check_opts o;
	struct cg_check_result *res;
	const struct cg_diag *d;
	size_t n, shown = 0;

	memset(&o, 0, sizeof(o));
	o.root = root;
	if (cg_check(&res, &o) < 0) {
		fprintf(out, "(`ciguard check` could not run: %s)\n",
			cg_check_last_error());
		return;
	}
	d = cg_check_result_findings(res, &n);
	for (size_t i = 0; i < n; i++) {
		if (d[i].suppressed)
			continue;
		fprintf(out, "- `%s:%u:%u` %s [%s]: %s\n", d[i].path,
			(unsigned)d[i].pos.line, (unsigned)d[i].pos.col,
			cg_severity_name(d[i].severity), d[i].rule,
			d[i].message);
		shown++;
	}
	if (!shown)
		fputs("(none)\n", out);
	cg_check_result_free(res);
}

static const char template_head[] =
    "## Summary\n\n"
    "<!-- What broke, for whom, for how long, in two or three sentences. "
    "-->\n\n"
    "## Impact\n\n"
    "<!-- Runs, deploys, users or data affected; how it was noticed. -->\n\n"
    "## Timeline\n\n"
    "<!-- UTC times: first bad commit, first red run, noticed, "
    "mitigated, fixed. -->\n\n"
    "- \n\n"
    "## Root cause\n\n"
    "<!-- The mechanism, not the person: which config, command or code "
    "did what. -->\n\n"
    "## Why each layer missed it\n\n"
    "### Pre-commit (`ciguard check --quick --staged`)\n\n"
    "<!-- Was the hook installed? Did a rule cover it? -->\n\n"
    "### Pre-push (`ciguard check`)\n\n"
    "<!-- The full layer: env checklist, code rules, matrix. -->\n\n"
    "### CI self-verification (`ciguard wait`, `ciguard doctor`)\n\n"
    "<!-- Did CI prove its services were the right ones and up? -->\n\n"
    "### Tests\n\n"
    "<!-- Why the tests passed, or why their failure was not seen. "
    "-->\n\n"
    "## Fix\n\n"
    "<!-- The change that fixed it (commit, PR). -->\n\n"
    "## Prevention\n\n"
    "<!-- Per layer above: what now catches it (a rule, a hook, a wait, "
    "a test). -->\n\n"
    "## Regression test\n\n"
    "<!-- The test that fails on the old code and passes now, and where "
    "it runs. -->\n\n";

/* Open DIR/RCA-DATE-SLUG[-k].md for writing, never over a file. */
static FILE *create_new(const char *dir, const char *date, const char *slug,
			char **out_path)
{
	for (unsigned k = 1; k < 1000; k++) {
		char *path =
		    k == 1 ? cg_xasprintf("%s/RCA-%s-%s.md", dir, date, slug)
			   : cg_xasprintf("%s/RCA-%s-%s-%u.md", dir, date, slug,
					  k);
		int fd =
		    open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		if (fd >= 0) {
			FILE *f = fdopen(fd, "w");

			if (!f)
				close(fd);
			*out_path = path;
			return f;
		}
		if (errno != EEXIST) {
			cli_fail("rca: cannot write '%s': %s", path,
				 strerror(errno));
			free(path);
			return NULL;
		}
		free(path);
	}
	cli_fail("rca: 999 RCAs named RCA-%s-%s already in '%s'", date, slug,
		 dir);
	return NULL;
}

static int rca_new(const char *title, const char *dir, const char *root)
{
	time_t now = time(NULL);
	struct tm tm;
	char date[16], stamp[32];
	char *slug, *path = NULL;
	FILE *f;
	int err;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M UTC", &tm);
	if (make_dirs(dir) < 0)
		return 2;
	slug = slug_of(title);
	f = create_new(dir, date, slug, &path);
	free(slug);
	if (!f)
		return 2;
	fprintf(f, "# %s\n\n", title);
	fprintf(f,
		"- Date: %s\n- Status: draft\n- Written with: ciguard "
		"%s\n\n",
		date, CIGUARD_VERSION);
	fputs(template_head, f);
	fprintf(f, "## State at writing (%s)\n\n", stamp);
	fputs("### Doctor's verdicts\n\n", f);
	doctor_section(f, root);
	fputs("\n### Last commits\n\n", f);
	commits_section(f, root);
	fputs("\n### Check findings\n\n", f);
	findings_section(f, root);
	err = ferror(f);
	if (fclose(f) != 0 || err) {
		cli_fail("rca: writing '%s' failed", path);
		free(path);
		return 2;
	}
	printf("%s\n", path);
	free(path);
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int rca_list(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, alloc = 0;

	if (!d) {
		if (errno == ENOENT)
			return 0; /* none yet */
		return cli_fail("rca: cannot read '%s': %s", dir,
				strerror(errno));
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (strncmp(e->d_name, "RCA-", 4) || len < 18 ||
		    strcmp(e->d_name + len - 3, ".md"))
			continue;
		/* without ".md": RCA-...-slug sorts before RCA-...-slug-2 */
		CG_GROW(names, alloc, n + 1);
		names[n++] = cg_xstrndup(e->d_name, len - 3);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_name);
	for (size_t i = 0; i < n; i++) {
		char *path = cg_xasprintf("%s/%s.md", dir, names[i]);
		FILE *f = fopen(path, "r");
		char line[512] = "";
		const char *title = "(no title)";

		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "# ", 2)) {
				line[strcspn(line, "\n")] = '\0';
				title = line + 2;
				break;
			}
		if (f)
			fclose(f);
		printf("%.10s  %s  (%s)\n", names[i] + 4, title, path);
		free(path);
		free(names[i]);
	}
	free(names);
	return 0;
}

int cmd_rca(int argc, char **argv)
{
	struct cli_parser p;
	const char *verb = NULL, *title = NULL, *path = NULL, *dir = NULL;
	char *root, *where;
	int id, rc;

	cli_parser_init(&p, &cli_rca_spec, argc, argv);
	while ((id = cli_next(&p)) != CLI_END) {
		if (id == CLI_HELP)
			return 0;
		if (id == CLI_ERROR)
			return 2;
		if (id == OPT_DIR) {
			dir = p.value;
		} else if (id == CLI_ARG) {
			if (!verb)
				verb = p.arg;
			else if (!strcmp(verb, "new") && !title)
				title = p.arg;
			else if (!path)
				path = p.arg;
			else
				return cli_fail("rca: unexpected argument "
						"'%s' (see 'ciguard rca "
						"--help')",
						p.arg);
		}
	}
	if (!verb || !cg_str_in(verb, verbs))
		return cli_fail("rca: %s%s%s: new or list (see 'ciguard rca "
				"--help')",
				verb ? "'" : "which verb?", verb ? verb : "",
				verb ? "' is not a verb" : "");
	if (!strcmp(verb, "new") && (!title || !*title))
		return cli_fail("rca new: the incident's TITLE is missing "
				"(ciguard rca new \"Workers lost their "
				"logs\")");
	root = repo_root(path);
	where = dir ? (dir[0] == '/' ? cg_xstrdup(dir)
				     : cg_xasprintf("%s/%s", root, dir))
		    : cg_xasprintf("%s/docs/rca", root);
	rc = !strcmp(verb, "new") ? rca_new(title, where, root)
				  : rca_list(where);
	free(where);
	free(root);
	return rc;
}
