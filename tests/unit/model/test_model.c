/* The model: GitHub shells, config validation, suppressions, discovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "model/model.h"
#include "model/model_int.h"

static void test_model__github_shells(void **state)
{
	static const struct {
		const char *shell;
		enum cg_shell_kind kind;
		bool errexit, pipefail, dash;
	} cases[] = {
	    {"bash", CG_SHELL_POSIX, true, true, false},
	    {"sh", CG_SHELL_POSIX, true, false, true},
	    {"bash {0}", CG_SHELL_POSIX, false, false, false},
	    {"bash -el {0}", CG_SHELL_POSIX, true, false, false},
	    {"bash --noprofile --norc -eo pipefail {0}", CG_SHELL_POSIX, true,
	     true, false},
	    {"/usr/bin/bash -e -o pipefail {0}", CG_SHELL_POSIX, true, true,
	     false},
	    {"xvfb-run -a bash -e {0}", CG_SHELL_POSIX, true, false, false},
	    /* `+` turns an option off again, as bash reads its flags */
	    {"bash +e {0}", CG_SHELL_POSIX, false, false, false},
	    {"bash -e +e {0}", CG_SHELL_POSIX, false, false, false},
	    {"bash -e +o pipefail {0}", CG_SHELL_POSIX, true, false, false},
	    {"bash -eo pipefail +e {0}", CG_SHELL_POSIX, false, true, false},
	    {"bash +e -o pipefail {0}", CG_SHELL_POSIX, false, true, false},
	    {"bash -o errexit {0}", CG_SHELL_POSIX, true, false, false},
	    {"bash {0} -e", CG_SHELL_POSIX, false, false, false},
	    {"sh -e {0}", CG_SHELL_POSIX, true, false, true},
	    {"/bin/dash {0}", CG_SHELL_POSIX, false, false, true},
	    {"pwsh", CG_SHELL_OTHER, false, false, false},
	    {"python", CG_SHELL_OTHER, false, false, false},
	    {"${{ matrix.shell }}", CG_SHELL_OTHER, false, false, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct cg_src src;
		struct cg_tree t;
		struct cg_shell sh;
		char *text = cg_xasprintf("shell: '%s'\n", cases[i].shell);

		cg_src_init_mem(&src, "w.yml", text, strlen(text));
		assert_int_equal(cg_yaml_load(&t, &src, NULL), 0);
		cg_gh_shell_parse(&sh, cg_map_get(t.docs[0], "shell"), &src);
		if (sh.kind != cases[i].kind ||
		    sh.errexit != cases[i].errexit ||
		    sh.pipefail != cases[i].pipefail ||
		    sh.dash != cases[i].dash)
			fail_msg("'%s': kind %d errexit %d pipefail %d dash %d",
				 cases[i].shell, sh.kind, sh.errexit,
				 sh.pipefail, sh.dash);
		cg_tree_release(&t);
		cg_src_release(&src);
		free(text);
	}
}

static char *write_temp(const char *text)
{
	char *path = cg_xstrdup("/tmp/ciguard-test-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_model__config_errors_name_the_place(void **state)
{
	static const struct {
		const char *text, *error;
	} cases[] = {
	    {"version: 1\nrules:\n  masked-failure: warning\n", NULL},
	    {"version: 1\ncritical_comands: []\n",
	     "c.yml:2:1: unknown key 'critical_comands'"},
	    {"version: 2\n", "c.yml:1:10: unsupported 'version'"},
	    {"rules: {}\n", "c.yml:1:1: missing 'version: 1'"},
	    {"version: 1\nrules:\n  masked-failure: loud\n",
	     "c.yml:3:19: rule 'masked-failure' must be off, note, "
	     "warning or error"},
	    {"version: 1\ncritical_commands: make test\n",
	     "c.yml:2:20: 'critical_commands' must be a list"},
	    {"version: 1\nenv:\n  requird: [A]\n",
	     "c.yml:3:3: unknown key 'requird' in 'env'"},
	    {"version: 1\npaths:\n  ignore: [\"\"]\n",
	     "c.yml:3:12: empty string in 'paths.ignore'"},
	    {"- version: 1\n", "c.yml:1:1: the configuration must be a "
			       "mapping"},
	    {"version: 1\nrules: [\n", "c.yml:"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *path = write_temp(cases[i].text);
		struct cg_config c;
		int rc;

		cg_config_init(&c);
		rc = cg_config_load(&c, path, "c.yml");
		if (!cases[i].error) {
			assert_int_equal(rc, 0);
		} else {
			assert_true(rc < 0);
			if (strncmp(cg_error_last(), cases[i].error,
				    strlen(cases[i].error)))
				fail_msg("case %zu: got '%s', want '%s...'", i,
					 cg_error_last(), cases[i].error);
		}
		cg_config_release(&c);
		unlink(path);
		free(path);
	}
}

static void put(const char *root, const char *rel, const char *text)
{
	char *path = cg_xasprintf("%s/%s", root, rel);
	FILE *f;

	for (char *s = path + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static void test_model__walk_and_suppressions(void **state)
{
	char root[] = "/tmp/ciguard-model-XXXXXX";
	struct cg_model m;
	struct cg_model_options o;
	char *cmd;

	assert_non_null(mkdtemp(root));
	put(root, ".github/workflows/ci.yml",
	    "on: push\n"
	    "jobs:\n"
	    "  t:\n"
	    "    runs-on: ubuntu-latest\n"
	    "    steps:\n"
	    "      # ciguard: ignore[masked-failure, pipe-masks-failure] why\n"
	    "      - run: pytest || true  # ciguard: ignore[masked-failure]\n");
	put(root, "node_modules/x/.github/workflows/ci.yml", "on: push\n");
	put(root, ".github/workflows/sub/ci.yml", "on: push\n");
	put(root, ".github/workflows/bad.yml", "on: [push\n");
	cmd = cg_xasprintf("%s/.github/workflows/loop.yml", root);
	assert_int_equal(symlink("loop.yml", cmd), 0);
	free(cmd);

	memset(&o, 0, sizeof(o));
	o.root = root;
	o.layer = CG_LAYER_FULL;
	assert_int_equal(cg_model_build(&m, &o), 0);
	assert_false(m.in_git);
	assert_int_equal(m.nworkflows, 1);
	assert_string_equal(m.workflows[0].src->path,
			    ".github/workflows/ci.yml");
	assert_int_equal(m.workflows[0].jobs[0].nsteps, 1);
	assert_non_null(m.workflows[0].jobs[0].steps[0].script);
	/* bad.yml (syntax) and loop.yml (symlink loop) are notes */
	assert_int_equal(m.nnotes, 2);
	assert_int_equal(m.nsuppressions, 2);
	assert_int_equal(m.suppressions[0].target_line, 7);
	assert_int_equal(m.suppressions[0].nids, 2);
	assert_string_equal(m.suppressions[0].ids[1], "pipe-masks-failure");
	assert_string_equal(m.suppressions[0].reason, "why");
	assert_int_equal(m.suppressions[1].target_line, 7);
	assert_int_equal(m.suppressions[1].pos.col, 30);
	cg_model_release(&m);
	cmd = cg_xasprintf("rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* Build the model of a checkout holding `files` (path, text pairs, NULL
 * ended) in a fresh temporary folder; `root` receives the folder. */
static void build_repo(struct cg_model *m, char *root, const char *const *files)
{
	struct cg_model_options o;

	assert_non_null(mkdtemp(root));
	for (size_t i = 0; files[i]; i += 2)
		put(root, files[i], files[i + 1]);
	memset(&o, 0, sizeof(o));
	o.root = root;
	o.layer = CG_LAYER_FULL;
	assert_int_equal(cg_model_build(m, &o), 0);
}

static void remove_repo(struct cg_model *m, const char *root)
{
	char *cmd = cg_xasprintf("rm -rf '%s'", root);

	cg_model_release(m);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* each line of `text` indented by `pad` spaces */
static char *indent(const char *text, int pad)
{
	struct cg_buf b = CG_BUF_INIT;

	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		cg_buf_addf(&b, "%*s%.*s\n", pad, "", (int)len, line);
		line += len + (nl ? 1 : 0);
	}
	return cg_buf_detach(&b, NULL);
}

static void test_model__github_reraised_failure(void **state)
{
	static const struct {
		const char *cond, *run;
		bool reraised;
	} cases[] = {
	    /* the condition: true whenever steps.t.outcome is 'failure' */
	    {"steps.t.outcome == 'failure'", "exit 1", true},
	    {"${{ steps.t.outcome == 'failure' }}", "exit 1", true},
	    {"steps.T.Outcome == 'FAILURE'", "exit 1", true},
	    {"steps['t'].outcome == 'failure'", "exit 1", true},
	    {"'failure' == steps.t.outcome", "exit 1", true},
	    {"steps.t.outcome != 'success'", "exit 1", true},
	    {"!(steps.t.outcome == 'success')", "exit 1", true},
	    {"always() && steps.t.outcome == 'failure'", "exit 1", true},
	    {"!cancelled() && (steps.t.outcome == 'failure')", "exit 1", true},
	    {"success() && steps.t.outcome == 'failure'", "exit 1", true},
	    {"steps.t.outcome == 'failure' || github.ref == 'x'", "exit 1",
	     true},
	    {"steps.t.conclusion == 'failure'", "exit 1", false},
	    {"failure()", "exit 1", false},
	    {"failure() && steps.t.outcome == 'failure'", "exit 1", false},
	    {"github.event_name == 'push' && steps.t.outcome == 'failure'",
	     "exit 1", false},
	    {"steps.other.outcome == 'failure'", "exit 1", false},
	    /* GitHub's string functions, case-insensitive, on known strings */
	    {"contains(steps.t.outcome, 'FAIL')", "exit 1", true},
	    {"startsWith(steps.t.outcome, 'fail')", "exit 1", true},
	    {"endsWith(steps.t.outcome, 'ure')", "exit 1", true},
	    {"contains('failure,cancelled', steps.t.outcome)", "exit 1", true},
	    {"contains(steps.t.outcome, 'succ')", "exit 1", false},
	    {"startsWith(steps.t.outcome, 'ure')", "exit 1", false},
	    {"contains(fromJSON('[\"failure\", \"cancelled\"]'), "
	     "steps.t.outcome)",
	     "exit 1", true},
	    {"contains(fromJSON('[1, \"FAILURE\"]'), steps.t.outcome)",
	     "exit 1", true},
	    {"contains(fromJSON('[\"success\"]'), steps.t.outcome)", "exit 1",
	     false},
	    {"contains(fromJSON('[1]'), steps.t.outcome)", "exit 1", false},
	    {"fromJSON('[\"failure\"]') == steps.t.outcome", "exit 1", false},
	    {"contains(github.ref, steps.t.outcome)", "exit 1", false},
	    {"always()", "exit 1", false},
	    {"steps.t.outcome == 'failure' &&", "exit 1", false},
	    {"${{ steps.t.outcome }} == 'failure'", "exit 1", false},
	    {"steps.t.outcome == 'failure' ${{ '' }}", "exit 1", false},
	    /* the run: its last command fails, and nothing ends it before */
	    {"steps.t.outcome == 'failure'", "echo failed\nexit 2", true},
	    {"steps.t.outcome == 'failure'", "false", true},
	    {"steps.t.outcome == 'failure'", "pytest --lf\nexit 1", true},
	    {"steps.t.outcome == 'failure'", "{ echo failed; exit 3; }", true},
	    {"steps.t.outcome == 'failure'", "(exit 1)", true},
	    {"steps.t.outcome == 'failure'", "exit 255 # bye", true},
	    {"steps.t.outcome == 'failure'", "exit 256", false},
	    {"steps.t.outcome == 'failure'", "exit 0", false},
	    {"steps.t.outcome == 'failure'", "exit", false},
	    {"steps.t.outcome == 'failure'", "exit $rc", false},
	    {"steps.t.outcome == 'failure'", "exit -1", false},
	    {"steps.t.outcome == 'failure'", "exit 1 || true", false},
	    {"steps.t.outcome == 'failure'", "! exit 1", false},
	    {"steps.t.outcome == 'failure'", "exit 1 &", false},
	    {"steps.t.outcome == 'failure'", "echo failed", false},
	    {"steps.t.outcome == 'failure'", "trap 'exit 0' EXIT\nexit 1",
	     false},
	    {"steps.t.outcome == 'failure'",
	     "if [ -f skip ]; then exit 0; fi\nexit 1", false},
	    {"steps.t.outcome == 'failure'", ". ./report.sh\nexit 1", false},
	    {"steps.t.outcome == 'failure'", "false() { :; }\nfalse", false},
	    {"steps.t.outcome == 'failure'", "$CMD\nexit 1", false},
	    {"steps.t.outcome == 'failure'", "set -n\nexit 1", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char root[] = "/tmp/ciguard-model-XXXXXX";
		char *cond = indent(cases[i].cond, 10);
		char *run = indent(cases[i].run, 10);
		char *wf = cg_xasprintf("on: push\n"
					"jobs:\n"
					"  j:\n"
					"    runs-on: ubuntu-latest\n"
					"    steps:\n"
					"      - id: t\n"
					"        run: pytest\n"
					"        continue-on-error: true\n"
					"      - if: |-\n%s"
					"        run: |\n%s",
					cond, run);
		const char *const files[] = {".github/workflows/ci.yml", wf,
					     NULL};
		struct cg_model m;
		const struct cg_gh_job *job;

		build_repo(&m, root, files);
		assert_int_equal(m.nworkflows, 1);
		job = &m.workflows[0].jobs[0];
		assert_int_equal(job->nsteps, 2);
		assert_string_equal(job->steps[0].id->str, "t");
		if ((job->steps[0].reraised_by != NULL) != cases[i].reraised)
			fail_msg("if: %s / run: %s: reraised %d, want %d",
				 cases[i].cond, cases[i].run,
				 job->steps[0].reraised_by != NULL,
				 cases[i].reraised);
		if (cases[i].reraised)
			assert_ptr_equal(job->steps[0].reraised_by,
					 &job->steps[1]);
		assert_null(job->steps[1].reraised_by);
		remove_repo(&m, root);
		free(wf);
		free(cond);
		free(run);
	}
}

/* A re-raising step must come later and must not swallow its own failure. */
static void test_model__github_reraise_order_and_own_continue(void **state)
{
	static const char *const workflows[] = {
	    "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
	    "      - if: steps.t.outcome == 'failure'\n"
	    "        run: exit 1\n"
	    "      - id: t\n        run: pytest\n"
	    "        continue-on-error: true\n",
	    "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
	    "      - id: t\n        run: pytest\n"
	    "        continue-on-error: true\n"
	    "      - if: steps.t.outcome == 'failure'\n"
	    "        run: exit 1\n"
	    "        continue-on-error: true\n",
	    "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
	    "      - id: t\n        run: pytest\n"
	    "        continue-on-error: true\n"
	    "      - if: steps.t.outcome == 'failure'\n"
	    "        run: exit 1\n"
	    "        shell: python\n",
	};

	for (size_t i = 0; i < sizeof(workflows) / sizeof(*workflows); i++) {
		char root[] = "/tmp/ciguard-model-XXXXXX";
		const char *const files[] = {".github/workflows/ci.yml",
					     workflows[i], NULL};
		struct cg_model m;
		const struct cg_gh_job *job;

		build_repo(&m, root, files);
		job = &m.workflows[0].jobs[0];
		assert_int_equal(job->nsteps, 2);
		assert_null(job->steps[0].reraised_by);
		assert_null(job->steps[1].reraised_by);
		remove_repo(&m, root);
	}
}

/* `continue-on-error:` is typed in the model: plain true and false,
 * an expression (may be true), anything else; its place runs from the key
 * to the end of the value. */
static void test_model__github_continue_on_error(void **state)
{
	static const char workflow[] =
	    "on: push\n"
	    "jobs:\n"
	    "  a:\n"
	    "    runs-on: ubuntu-latest\n"
	    "    continue-on-error: ${{ matrix.experimental }}\n"
	    "    steps:\n"
	    "      - run: pytest\n"
	    "        continue-on-error: true\n"
	    "      - run: pytest\n"
	    "        continue-on-error: False\n"
	    "      - run: pytest\n"
	    "        continue-on-error: \"true\"\n"
	    "      - run: pytest\n"
	    "      - continue-on-error: ${{ inputs.soft }}\n"
	    "        run: pytest\n"
	    "  b:\n"
	    "    runs-on: ubuntu-latest\n"
	    "    continue-on-error: TRUE\n"
	    "    steps: [{run: pytest}]\n";
	static const struct {
		size_t job, step; /* step (size_t)-1: the job's */
		enum cg_gh_continue_value value;
		uint32_t line, col, end_line, end_col;
	} cases[] = {
	    {0, (size_t)-1, CG_GH_CONTINUE_EXPR, 5, 5, 5, 50},
	    {0, 0, CG_GH_CONTINUE_TRUE, 8, 9, 8, 32},
	    {0, 1, CG_GH_CONTINUE_FALSE, 10, 9, 10, 33},
	    {0, 2, CG_GH_CONTINUE_OTHER, 12, 9, 12, 34},
	    {0, 3, CG_GH_CONTINUE_ABSENT, 0, 0, 0, 0},
	    {0, 4, CG_GH_CONTINUE_EXPR, 14, 9, 14, 46},
	    {1, (size_t)-1, CG_GH_CONTINUE_TRUE, 18, 5, 18, 28},
	};
	char root[] = "/tmp/ciguard-model-XXXXXX";
	const char *const files[] = {".github/workflows/ci.yml", workflow,
				     NULL};
	struct cg_model m;

	build_repo(&m, root, files);
	assert_int_equal(m.nworkflows, 1);
	assert_int_equal(m.workflows[0].njobs, 2);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct cg_gh_job *job =
		    &m.workflows[0].jobs[cases[i].job];
		const struct cg_gh_continue *c =
		    cases[i].step == (size_t)-1
			? &job->continue_on_error
			: &job->steps[cases[i].step].continue_on_error;

		if (c->value != cases[i].value ||
		    c->pos.line != cases[i].line ||
		    c->pos.col != cases[i].col ||
		    c->pos.end_line != cases[i].end_line ||
		    c->pos.end_col != cases[i].end_col)
			fail_msg("case %zu: value %d at %u:%u-%u:%u", i,
				 c->value, c->pos.line, c->pos.col,
				 c->pos.end_line, c->pos.end_col);
	}
	remove_repo(&m, root);
}

/* The script a shell runs is found past its flags, as the shell reads
 * them: `-o NAME` and `-O NAME` take a word, `-c` runs a string. */
static void test_model__shell_script_file_refs(void **state)
{
	static const char workflow[] =
	    "on: push\n"
	    "jobs:\n"
	    "  a:\n"
	    "    runs-on: ubuntu-latest\n"
	    "    steps:\n"
	    "      - run: |\n"
	    "          bash -o pipefail scripts/ci.sh\n"
	    "          bash -O extglob scripts/glob.sh\n"
	    "          sh -e -- scripts/dashdash.sh\n"
	    "          ksh -x tools/k.sh\n"
	    "          bash -ec 'echo hi' tools/zero.sh\n"
	    "          bash -o $OPT tools/unknown.sh\n";
	static const struct {
		const char *path;
		bool found;
	} refs[] = {
	    {"scripts/ci.sh", true},	   {"scripts/glob.sh", true},
	    {"scripts/dashdash.sh", true}, {"tools/k.sh", true},
	    {"tools/zero.sh", false},	   {"tools/unknown.sh", false},
	    {"pipefail", false},	   {"extglob", false},
	};
	char root[] = "/tmp/ciguard-model-XXXXXX";
	const char *const files[] = {".github/workflows/ci.yml", workflow,
				     NULL};
	struct cg_model m;

	build_repo(&m, root, files);
	for (size_t i = 0; i < sizeof(refs) / sizeof(*refs); i++) {
		bool found = false;

		for (size_t k = 0; k < m.facts.nfile_refs; k++)
			if (!strcmp(m.facts.file_refs[k].path, refs[i].path))
				found = true;
		if (found != refs[i].found)
			fail_msg("'%s': found %d", refs[i].path, found);
	}
	remove_repo(&m, root);
}

/* The kind of the first reference row with `path`, or -1. */
static int ref_kind(const struct cg_model *m, const char *path)
{
	for (size_t k = 0; k < m->facts.nfile_refs; k++)
		if (!strcmp(m->facts.file_refs[k].path, path))
			return (int)m->facts.file_refs[k].kind;
	return -1;
}

/* Paths are read where the shell reads them: from the step's
 * working-directory, after `cd`; a `cd` in a subshell or a pipeline ends
 * with it, one in a branch or after `||` leaves the folder unknown (no
 * path taken), and what a step writes is kept even then. */
static void test_model__script_refs_follow_cd(void **state)
{
	static const char workflow[] =
	    "on: push\n"
	    "defaults:\n"
	    "  run:\n"
	    "    working-directory: ./svc\n"
	    "jobs:\n"
	    "  a:\n"
	    "    runs-on: ubuntu-latest\n"
	    "    steps:\n"
	    "      - run: |\n"
	    "          ./top.sh\n"
	    "          cd api && ./one.sh\n"
	    "          (cd ../web; ./two.sh)\n"
	    "          ./three.sh\n"
	    "          cd .. | true\n"
	    "          ./four.sh\n"
	    "          if [ -n \"$X\" ]; then cd lib; fi\n"
	    "          ./lost.sh\n"
	    "          echo x > made.txt\n"
	    "      - working-directory: tools\n"
	    "        run: python gen.py > ../out/gen.json\n"
	    "      - run: test -d x || cd x; ./maybe.sh\n"
	    "      - run: cp a.env b.env && make\n"
	    "      - run: rm -f stale.txt; docker rm -f web; git push -f up\n"
	    "      - run: docker build -f Dockerfile.ci . && pkill -f w.py\n";
	static const struct {
		const char *path;
		int kind;
	} refs[] = {
	    {"svc/top.sh", CG_REF_SCRIPT},
	    {"svc/api/one.sh", CG_REF_SCRIPT},
	    {"svc/web/two.sh", CG_REF_SCRIPT},
	    {"svc/api/three.sh", CG_REF_SCRIPT},
	    {"svc/api/four.sh", CG_REF_SCRIPT},
	    {"svc/api/lost.sh", -1},
	    {"svc/api/lib/lost.sh", -1},
	    {"lost.sh", -1},
	    {"made.txt", CG_REF_OUTPUT}, /* unplaced: as written */
	    {"tools/gen.py", CG_REF_SCRIPT},
	    {"out/gen.json", CG_REF_OUTPUT},
	    {"svc/maybe.sh", -1},
	    {"svc/x/maybe.sh", -1},
	    {"svc/b.env", CG_REF_OUTPUT},
	    {"make", CG_REF_BUILD},
	    /* -f that names no file read */
	    {"svc/stale.txt", -1},
	    {"svc/web", -1},
	    {"svc/up", -1},
	    {"svc/w.py", -1},
	    {"svc/Dockerfile.ci", CG_REF_CONFIG_FILE},
	};
	char root[] = "/tmp/ciguard-model-XXXXXX";
	const char *const files[] = {".github/workflows/ci.yml", workflow,
				     NULL};
	struct cg_model m;

	(void)state;
	build_repo(&m, root, files);
	for (size_t i = 0; i < sizeof(refs) / sizeof(*refs); i++)
		if (ref_kind(&m, refs[i].path) != refs[i].kind)
			fail_msg("'%s': kind %d, want %d", refs[i].path,
				 ref_kind(&m, refs[i].path), refs[i].kind);
	remove_repo(&m, root);
}

/* A GitLab checkout: `files` are (path, text) pairs, NULL ended. */
static void gl_build(struct cg_model *m, char *root, const char *const *files)
{
	struct cg_model_options o;

	assert_non_null(mkdtemp(root));
	for (size_t i = 0; files[i]; i += 2)
		put(root, files[i], files[i + 1]);
	memset(&o, 0, sizeof(o));
	o.root = root;
	o.layer = CG_LAYER_FULL;
	assert_int_equal(cg_model_build(m, &o), 0);
}

static void gl_remove(struct cg_model *m, const char *root)
{
	char *cmd = cg_xasprintf("rm -rf '%s'", root);

	cg_model_release(m);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static const struct cg_gl_job *gl_job(const struct cg_model *m, const char *id)
{
	for (size_t f = 0; f < m->ngitlab; f++)
		for (size_t j = 0; j < m->gitlab[f].njobs; j++)
			if (!strcmp(m->gitlab[f].jobs[j].id, id))
				return &m->gitlab[f].jobs[j];
	fail_msg("no job '%s'", id);
	return NULL;
}

/* the job's script items, "; "-joined */
static char *gl_script_text(const struct cg_gl_job *job)
{
	struct cg_buf b = CG_BUF_INIT;

	for (size_t k = 0; k < job->nscripts; k++)
		cg_buf_addf(&b, "%s%s", k ? "; " : "",
			    job->scripts[k]->node->str);
	return cg_buf_detach(&b, NULL);
}

/* Six templates that each extend all six took minutes (every path of up to
 * 11 levels was followed); now one note, and what is outside the cycle
 * still counts. */
static void test_model__gitlab_extends_cycle_noted_once(void **state)
{
	struct cg_buf ci = CG_BUF_INIT;
	char root[] = "/tmp/ciguard-model-XXXXXX";
	const char *files[] = {".gitlab-ci.yml", NULL, NULL};
	struct cg_model m;
	char *text;

	for (int i = 0; i < 8; i++)
		cg_buf_addf(&ci,
			    ".t%d:\n  extends: [.t0, .t1, .t2, .t3, .t4, .t5, "
			    ".t6, .t7]\n  script: [echo t%d]\n",
			    i, i);
	cg_buf_addstr(&ci, ".base:\n  script: [tox]\n"
			   "test:\n  extends: .t0\n  script: [pytest]\n"
			   "other:\n  extends: [.base, .t3]\n"
			   "loop:\n  extends: loop\n  script: [make test]\n");
	files[1] = ci.buf;
	gl_build(&m, root, files);
	assert_int_equal(m.nnotes, 1);
	if (!strstr(m.notes[0].message,
		    ".gitlab-ci.yml:2:3: circular 'extends' (.t0 -> .t0): "))
		fail_msg("note: %s", m.notes[0].message);
	text = gl_script_text(gl_job(&m, "test"));
	assert_string_equal(text, "pytest");
	free(text);
	text = gl_script_text(gl_job(&m, "other"));
	assert_string_equal(text, "tox");
	free(text);
	text = gl_script_text(gl_job(&m, "loop"));
	assert_string_equal(text, "make test");
	free(text);
	gl_remove(&m, root);
	cg_buf_release(&ci);
}

static void test_model__gitlab_extends(void **state)
{
	static const struct {
		const char *ci, *script, *note;
	} cases[] = {
	    /* later parents win, each with its own parents first */
	    {".base: {script: [base]}\n"
	     ".a: {extends: .base, variables: {A: 1}}\n"
	     ".b: {extends: .base, script: [b]}\n"
	     "job: {extends: [.b, .a]}\n",
	     "base", NULL},
	    {".base: {script: [base]}\n"
	     ".a: {extends: .base, variables: {A: 1}}\n"
	     ".b: {extends: .base, script: [b]}\n"
	     "job: {extends: [.a, .b]}\n",
	     "b", NULL},
	    /* names no file defines (a remote include's) are skipped */
	    {".a: {script: [a]}\njob: {extends: [.a, .remote]}\n", "a", NULL},
	    /* a two-template cycle: noted where it closes */
	    {".a: {extends: [.base, .b], script: [a]}\n"
	     ".b: {extends: .a}\n"
	     ".base: {script: [base], before_script: [setup]}\n"
	     "job: {extends: [.base, .a]}\n",
	     "setup; base",
	     ".gitlab-ci.yml:2:6: circular 'extends' (.a -> .b -> .a): "},
	    /* 11 levels are fine, 12 are not (GitLab: nesting too deep) */
	    {"job: {extends: .l1}\n.l1: {extends: .l2}\n.l2: {extends: .l3}\n"
	     ".l3: {extends: .l4}\n.l4: {extends: .l5}\n.l5: {extends: .l6}\n"
	     ".l6: {extends: .l7}\n.l7: {extends: .l8}\n.l8: {extends: .l9}\n"
	     ".l9: {extends: .l10}\n.l10: {extends: .l11}\n"
	     ".l11: {script: [deep]}\n",
	     "deep", NULL},
	    {"job: {extends: .l0}\n.l0: {extends: .l1}\n.l1: {extends: .l2}\n"
	     ".l2: {extends: .l3}\n.l3: {extends: .l4}\n.l4: {extends: .l5}\n"
	     ".l5: {extends: .l6}\n.l6: {extends: .l7}\n.l7: {extends: .l8}\n"
	     ".l8: {extends: .l9}\n.l9: {extends: .l10}\n"
	     ".l10: {extends: .l11}\n.l11: {script: [deep]}\n",
	     "deep",
	     ".gitlab-ci.yml:1:7: 'extends' 12 levels deep (job -> .l0 -> .l1 "
	     "-> .l2 -> ... -> .l9 -> .l10 -> .l11): GitLab allows 11 "},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char root[] = "/tmp/ciguard-model-XXXXXX";
		const char *const files[] = {".gitlab-ci.yml", cases[i].ci,
					     NULL};
		struct cg_model m;
		char *text;

		gl_build(&m, root, files);
		text = gl_script_text(gl_job(&m, "job"));
		if (strcmp(text, cases[i].script))
			fail_msg("case %zu: script '%s', want '%s'", i, text,
				 cases[i].script);
		free(text);
		assert_int_equal(m.nnotes, cases[i].note ? 1 : 0);
		if (cases[i].note && !strstr(m.notes[0].message, cases[i].note))
			fail_msg("case %zu: note '%s'", i, m.notes[0].message);
		gl_remove(&m, root);
	}
}

/* One note per file, however many cycles it has. */
static void test_model__gitlab_extends_cycle_per_file(void **state)
{
	char root[] = "/tmp/ciguard-model-XXXXXX";
	const char *const files[] = {
	    ".gitlab-ci.yml",
	    "include: [{local: ci/t.yml}]\n"
	    ".a: {extends: .b}\n.b: {extends: .a}\n"
	    ".c: {extends: .c}\n"
	    "job: {extends: [.a, .t], script: [pytest]}\n",
	    "ci/t.yml", ".t: {extends: .u}\n.u: {extends: .t}\n", NULL};
	struct cg_model m;

	gl_build(&m, root, files);
	assert_int_equal(m.nnotes, 2);
	assert_non_null(strstr(m.notes[0].message,
			       ".gitlab-ci.yml:3:6: circular 'extends' (.a -> "
			       ".b -> .a)"));
	assert_non_null(strstr(m.notes[1].message,
			       "ci/t.yml:2:6: circular 'extends' (.t -> .u -> "
			       ".t)"));
	assert_int_equal(gl_job(&m, "job")->nscripts, 1);
	gl_remove(&m, root);
}

/* `!reference` chains: followed 10 deep, cycles left out with a note, and
 * a list that references multiply is cut instead of taking minutes. */
static void test_model__gitlab_reference(void **state)
{
	struct cg_buf fan = CG_BUF_INIT;
	static const char *const levels[] = {".a", ".b", ".c",
					     ".d", ".e", ".f"};
	struct {
		const char *ci, *script, *note;
	} cases[] = {
	    {".a: {script: [!reference [.b, script]]}\n"
	     ".b: {script: [!reference [.c, script]]}\n"
	     ".c: {script: [!reference [.d, script]]}\n"
	     ".d: {script: [!reference [.e, script]]}\n"
	     ".e: {script: [!reference [.f, script]]}\n"
	     ".f: {script: [deep]}\n"
	     "job: {script: [!reference [.a, script], top]}\n",
	     "deep; top", NULL},
	    {".a:\n  script:\n"
	     "    - !reference [.a, script]\n"
	     "    - !reference [.a, script]\n"
	     "    - pytest\n"
	     "job: {script: !reference [.a, script]}\n",
	     "pytest",
	     ".gitlab-ci.yml:3:7: circular '!reference [.a, script]': "},
	    {NULL, NULL,
	     ".gitlab-ci.yml:512:1: job 'job': '!reference' makes a list of "
	     "more than 10000 items"},
	};

	/* five levels of 100 references each: 10^10 items */
	for (size_t i = 0; i + 1 < sizeof(levels) / sizeof(*levels); i++) {
		cg_buf_addf(&fan, "%s:\n  script:\n", levels[i]);
		for (int k = 0; k < 100; k++)
			cg_buf_addf(&fan, "    - !reference [%s, script]\n",
				    levels[i + 1]);
	}
	cg_buf_addstr(&fan, ".f: {script: [pytest]}\n"
			    "job: {script: !reference [.a, script]}\n");
	cases[2].ci = fan.buf;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char root[] = "/tmp/ciguard-model-XXXXXX";
		const char *const files[] = {".gitlab-ci.yml", cases[i].ci,
					     NULL};
		struct cg_model m;

		gl_build(&m, root, files);
		if (cases[i].script) {
			char *text = gl_script_text(gl_job(&m, "job"));

			if (strcmp(text, cases[i].script))
				fail_msg("case %zu: script '%s', want '%s'", i,
					 text, cases[i].script);
			free(text);
		} else {
			assert_true(gl_job(&m, "job")->nscripts > 0);
		}
		assert_int_equal(m.nnotes, cases[i].note ? 1 : 0);
		if (cases[i].note && !strstr(m.notes[0].message, cases[i].note))
			fail_msg("case %zu: note '%s'", i, m.notes[0].message);
		gl_remove(&m, root);
	}
	cg_buf_release(&fan);
}

/* The configuration GitLab merges before it reads a job: included files
 * (the including file over what it includes, a later include over an
 * earlier one), then `extends:`, then `default:`
 * (lib/gitlab/ci/config/external/processor.rb, extendable/entry.rb). */
static void test_model__gitlab_merge(void **state)
{
	static const struct {
		const char *ci, *a, *b, *c;
		const char *script; /* job's, "; "-joined */
		const char *file;   /* where job is */
		const char *vars;   /* its variables: "NAME=value ..." */
	} cases[] = {
	    /* a.yml over the b.yml it includes */
	    {"include: a.yml\n", "include: b.yml\njob: {script: [a]}\n",
	     "job: {script: [b], variables: {B: 1}}\n", NULL, "a", "a.yml",
	     "B=1"},
	    /* a later include over an earlier one */
	    {"include: [a.yml, b.yml]\n", "job: {script: [a]}\n",
	     "job: {script: [b]}\n", NULL, "b", "b.yml", ""},
	    /* b.yml comes in with a.yml, before c.yml */
	    {"include: [a.yml, c.yml]\n", "include: b.yml\n",
	     "job: {script: [b]}\n", "job: {script: [c]}\n", "c", "c.yml", ""},
	    /* .gitlab-ci.yml over everything, key by key */
	    {"include: [a.yml]\njob: {variables: {A: main}}\n",
	     "job: {script: [a], variables: {A: a, B: a}}\n", NULL, NULL, "a",
	     ".gitlab-ci.yml", "A=main B=a"},
	    /* `variables:` deep-merged through `extends:`, `{value:}` too */
	    {".t: {variables: {A: {value: x, description: d}, B: 1}}\n"
	     "job:\n  extends: .t\n  variables: {A: {description: e}, C: 2}\n"
	     "  script: [t]\n",
	     NULL, NULL, NULL, "t", ".gitlab-ci.yml", "A=x B=1 C=2"},
	    /* a child's list replaces the parent's, and a `!reference` is a
	     * value of its own until the merge is done */
	    {".v: {variables: {R: r}}\n.t: {variables: {T: t}, script: [a, "
	     "b]}\n"
	     "job: {extends: .t, variables: !reference [.v, variables], "
	     "script: [c]}\n",
	     NULL, NULL, NULL, "c", ".gitlab-ci.yml", "R=r"},
	    /* `parallel: matrix:` variables over the job's own */
	    {"job:\n  variables: {A: job, B: job}\n"
	     "  parallel:\n    matrix:\n"
	     "      - B: [m1, m2]\n        C: m\n"
	     "      - B: m3\n        D: [d]\n"
	     "  script: [t]\n",
	     NULL, NULL, NULL, "t", ".gitlab-ci.yml", "A=job B=m1 C=m D=d"},
	    /* a `trigger:` job without `script:` is a bridge: GitLab runs
	     * no script for it, default:'s neither */
	    {"default: {before_script: [setup], after_script: [tox]}\n"
	     "job: {trigger: {project: a/b}, allow_failure: true}\n",
	     NULL, NULL, NULL, "", ".gitlab-ci.yml", ""},
	    /* `rules:` that never create the job: nothing runs */
	    {"job:\n  rules:\n    - {if: $A, when: never}\n"
	     "    - when: never\n    - {if: $B}\n"
	     "  script: [t]\n",
	     NULL, NULL, NULL, "", ".gitlab-ci.yml", ""},
	    {"job: {rules: [{if: $A, when: never}, {if: $B}], script: [t]}\n",
	     NULL, NULL, NULL, "t", ".gitlab-ci.yml", ""},
	    /* ... unless a `!reference` may bring entries no file here has */
	    {"job:\n  rules:\n    - !reference [.remote, rules]\n"
	     "    - when: never\n  script: [t]\n",
	     NULL, NULL, NULL, "t", ".gitlab-ci.yml", ""},
	    /* `rules:` entries that can run the job give their variables,
	     * the job's own kept */
	    {"job:\n  variables: {A: job}\n  rules:\n"
	     "    - {if: $X, variables: {A: r1, B: r1}}\n"
	     "    - {if: $Y, when: never, variables: {C: c}}\n"
	     "    - {variables: {D: d}}\n"
	     "    - {variables: {E: e}}\n"
	     "  script: [t]\n",
	     NULL, NULL, NULL, "t", ".gitlab-ci.yml", "A=job B=r1 D=d"},
	    /* `default:` itself taken by `!reference` */
	    {".d: {before_script: [setup]}\ndefault: !reference [.d]\n"
	     "job: {script: [t]}\n",
	     NULL, NULL, NULL, "setup; t", ".gitlab-ci.yml", ""},
	    /* `default:` merged across files */
	    {"include: a.yml\ndefault: {image: python}\njob: {script: [t]}\n",
	     "default: {before_script: [setup]}\n", NULL, NULL, "setup; t",
	     ".gitlab-ci.yml", ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char root[] = "/tmp/ciguard-model-XXXXXX";
		const char *files[9] = {".gitlab-ci.yml", cases[i].ci};
		const struct cg_gl_job *job;
		struct cg_buf vars = CG_BUF_INIT;
		size_t n = 2;
		struct cg_model m;
		char *text;

		if (cases[i].a)
			files[n++] = "a.yml", files[n++] = cases[i].a;
		if (cases[i].b)
			files[n++] = "b.yml", files[n++] = cases[i].b;
		if (cases[i].c)
			files[n++] = "c.yml", files[n++] = cases[i].c;
		gl_build(&m, root, files);
		job = gl_job(&m, "job");
		text = gl_script_text(job);
		if (strcmp(text, cases[i].script))
			fail_msg("case %zu: script '%s', want '%s'", i, text,
				 cases[i].script);
		free(text);
		for (size_t f = 0; f < m.ngitlab; f++)
			if (job >= m.gitlab[f].jobs &&
			    job < m.gitlab[f].jobs + m.gitlab[f].njobs &&
			    strcmp(m.gitlab[f].src->path, cases[i].file))
				fail_msg("case %zu: job in %s, want %s", i,
					 m.gitlab[f].src->path, cases[i].file);
		for (size_t k = 0; k < job->nvariables; k++)
			cg_buf_addf(&vars, "%s%s=%s", k ? " " : "",
				    job->variables[k].pair->key->str,
				    job->variables[k].value
					? job->variables[k].value->str
					: "?");
		if (strcmp(vars.buf, cases[i].vars))
			fail_msg("case %zu: variables '%s', want '%s'", i,
				 vars.buf, cases[i].vars);
		cg_buf_release(&vars);
		assert_int_equal(m.nnotes, 0);
		gl_remove(&m, root);
	}
}

/* `include: local:` wildcards as GitLab matches them
 * (Repository#search_files_by_wildcard_path): `**` is any text, `/`
 * included, `*` any text without `/`, and everything else is literal. */
static void test_model__gitlab_include_wildcards(void **state)
{
	static const struct {
		const char *include;
		const char *want; /* the files read, "; "-joined */
	} cases[] = {
	    {"ci/**/*.yml", ".gitlab-ci.yml; ci/sub/deep/y.yml; ci/sub/x.yml"},
	    {"ci/**.yml", ".gitlab-ci.yml; ci/a.yml; ci/sub/deep/y.yml; "
			  "ci/sub/x.yml"},
	    {"ci/*.yml", ".gitlab-ci.yml; ci/a.yml"},
	    {"ci/?.yml", ".gitlab-ci.yml"},
	    {"/ci/a.yml", ".gitlab-ci.yml; ci/a.yml"},
	    /* stars cost linear time (131 of them: past the small buffers) */
	    {"ci/"
	     "*****************************************************************"
	     "*****************************************************************"
	     "*.yml",
	     ".gitlab-ci.yml; ci/a.yml; ci/sub/deep/y.yml; ci/sub/x.yml"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char root[] = "/tmp/ciguard-model-XXXXXX";
		char *ci = cg_xasprintf("include: {local: '%s'}\n"
					"job: {script: [t]}\n",
					cases[i].include);
		const char *const files[] = {".gitlab-ci.yml",
					     ci,
					     "ci/a.yml",
					     ".a: {script: [a]}\n",
					     "ci/sub/x.yml",
					     ".x: {script: [x]}\n",
					     "ci/sub/deep/y.yml",
					     ".y: {script: [y]}\n",
					     NULL};
		struct cg_buf got = CG_BUF_INIT;
		struct cg_model m;

		gl_build(&m, root, files);
		for (size_t f = 0; f < m.ngitlab; f++)
			cg_buf_addf(&got, "%s%s", f ? "; " : "",
				    m.gitlab[f].src->path);
		if (strcmp(got.buf, cases[i].want))
			fail_msg("case %zu: read '%s', want '%s'", i, got.buf,
				 cases[i].want);
		cg_buf_release(&got);
		gl_remove(&m, root);
		free(ci);
	}
}

/* Composite actions are workflows with one pseudo-job "runs"; other
 * actions build nothing; a `run:` step without `shell:` is a note. */
static void test_model__github_composite_actions(void **state)
{
	char root[] = "/tmp/ciguard-model-XXXXXX";
	const char *const files[] = {
	    "action.yml",
	    "name: a\nruns:\n  using: Composite\n  steps:\n"
	    "    - run: pytest\n      shell: bash\n"
	    "    - uses: actions/setup-python@v5\n"
	    "    - run: tox\n",
	    "ci/deploy/action.yaml",
	    "runs:\n  using: composite\n  steps:\n"
	    "    - id: t\n      run: pytest\n      shell: sh\n"
	    "      continue-on-error: true\n"
	    "    - if: steps.t.outcome == 'failure'\n"
	    "      run: exit 1\n      shell: bash\n",
	    "js/action.yml",
	    "runs:\n  using: node20\n  main: index.js\n",
	    "docs/action.yml.txt",
	    "runs:\n  using: composite\n",
	    NULL};
	struct cg_model m;
	const struct cg_gh_workflow *wf;

	build_repo(&m, root, files);
	assert_int_equal(m.nfiles, 3);
	assert_int_equal(m.nworkflows, 2);
	wf = &m.workflows[0];
	if (strcmp(wf->src->path, "action.yml"))
		wf = &m.workflows[1];
	assert_string_equal(wf->src->path, "action.yml");
	assert_true(wf->composite);
	assert_int_equal(wf->njobs, 1);
	assert_string_equal(wf->jobs[0].id, "runs");
	assert_int_equal(wf->jobs[0].key->pos.line, 2);
	assert_null(wf->jobs[0].runs_on);
	assert_int_equal(wf->jobs[0].nsteps, 3);
	assert_non_null(wf->jobs[0].steps[0].script);
	assert_true(wf->jobs[0].steps[0].shell.errexit);
	assert_true(wf->jobs[0].steps[0].shell.pipefail);
	assert_null(wf->jobs[0].steps[1].script);
	/* no shell: not bash by default, and said so */
	assert_null(wf->jobs[0].steps[2].script);
	assert_int_equal(wf->jobs[0].steps[2].shell.kind, CG_SHELL_OTHER);
	assert_int_equal(m.nnotes, 1);
	assert_string_equal(m.notes[0].message,
			    "action.yml:8:7: step 'Run tox' of a composite "
			    "action has no `shell:`, which GitHub requires; "
			    "not checked");
	wf = wf == &m.workflows[0] ? &m.workflows[1] : &m.workflows[0];
	assert_string_equal(wf->src->path, "ci/deploy/action.yaml");
	assert_true(wf->composite);
	assert_int_equal(wf->jobs[0].nsteps, 2);
	assert_ptr_equal(wf->jobs[0].steps[0].reraised_by,
			 &wf->jobs[0].steps[1]);
	remove_repo(&m, root);
}

/* A `run:` no rule can read (pwsh on Windows, python, cmd, ...) is a
 * note once per file; POSIX shells and `uses:` steps are not. */
static void test_model__github_unchecked_shells_noted(void **state)
{
	static const struct {
		const char *runs_on, *step, *note;
	} cases[] = {
	    {"windows-latest", "run: pytest", "step 'tests' runs in pwsh"},
	    {"[self-hosted, Windows, x64]", "run: pytest",
	     "step 'tests' runs in pwsh"},
	    {"ubuntu-latest", "shell: pwsh\n        run: pytest",
	     "step 'tests' runs in `shell: pwsh`"},
	    {"ubuntu-latest", "shell: python\n        run: print(1)",
	     "step 'tests' runs in `shell: python`"},
	    {"ubuntu-latest", "run: pytest", NULL},
	    {"windows-latest", "shell: bash\n        run: pytest", NULL},
	    {"windows-latest", "uses: actions/checkout@v4", NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char root[] = "/tmp/ciguard-model-XXXXXX";
		char *wf = cg_xasprintf("on: push\n"
					"jobs:\n"
					"  j:\n"
					"    runs-on: %s\n"
					"    steps:\n"
					"      - name: tests\n"
					"        %s\n",
					cases[i].runs_on, cases[i].step);
		const char *const files[] = {".github/workflows/ci.yml", wf,
					     NULL};
		struct cg_model m;
		char *want = NULL;

		build_repo(&m, root, files);
		if (cases[i].note)
			want = cg_xasprintf(".github/workflows/ci.yml:6:9: %s",
					    cases[i].note);
		if (!want && m.nnotes)
			fail_msg("%s / %s: unexpected note '%s'",
				 cases[i].runs_on, cases[i].step,
				 m.notes[0].message);
		if (want && (m.nnotes != 1 ||
			     strncmp(m.notes[0].message, want, strlen(want))))
			fail_msg("%s / %s: %zu notes, first '%s', want '%s'",
				 cases[i].runs_on, cases[i].step, m.nnotes,
				 m.nnotes ? m.notes[0].message : "", want);
		if (want)
			assert_non_null(strstr(m.notes[0].message,
					       "; ciguard checks only bash/sh "
					       "scripts"));
		remove_repo(&m, root);
		free(want);
		free(wf);
	}
}

/* `inherit: default:` (false, or a list of keywords), maybe through
 * `extends:`, decides whether a job takes default:'s before_script and
 * after_script, and the old top-level ones, which GitLab makes default's. */
static void test_model__gitlab_inherit_default(void **state)
{
	static const char *const with_default =
	    "default: {before_script: [setup], after_script: [cleanup]}\n";
	static const char *const top_level =
	    "before_script: [setup]\nafter_script: [cleanup]\n";
	static const struct {
		const char *defaults, *ci, *script;
		size_t nafter;
	} cases[] = {
	    {with_default, "job: {script: [pytest]}\n", "setup; pytest", 1},
	    {with_default,
	     "job: {inherit: {default: true}, script: [pytest]}\n",
	     "setup; pytest", 1},
	    {with_default,
	     "job: {inherit: {default: false}, script: [pytest]}\n", "pytest",
	     0},
	    {with_default,
	     "job: {inherit: {default: [before_script]}, script: [pytest]}\n",
	     "setup; pytest", 0},
	    {with_default,
	     "job: {inherit: {default: [image, after_script]}, "
	     "script: [pytest]}\n",
	     "pytest", 1},
	    {with_default, "job: {inherit: {default: []}, script: [pytest]}\n",
	     "pytest", 0},
	    /* the job's own before_script needs no inheriting */
	    {with_default,
	     "job: {inherit: {default: false}, before_script: [own], "
	     "script: [pytest]}\n",
	     "own; pytest", 0},
	    /* through extends, merged key by key with the job's `inherit:` */
	    {with_default,
	     ".t: {inherit: {default: false}}\n"
	     "job: {extends: .t, inherit: {variables: false}, "
	     "script: [pytest]}\n",
	     "pytest", 0},
	    {with_default,
	     ".t: {inherit: {default: false}}\n"
	     "job: {extends: .t, inherit: {default: true}, "
	     "script: [pytest]}\n",
	     "setup; pytest", 1},
	    {with_default,
	     ".no: {inherit: {default: false}}\n"
	     ".yes: {inherit: {default: [before_script]}}\n"
	     "job: {extends: [.no, .yes], script: [pytest]}\n",
	     "setup; pytest", 0},
	    {with_default,
	     ".a: {inherit: {default: false}}\n.b: {extends: .a}\n"
	     "job: {extends: .b, script: [pytest]}\n",
	     "pytest", 0},
	    /* the old top-level form is default's too */
	    {top_level, "job: {script: [pytest]}\n", "setup; pytest", 1},
	    {top_level, "job: {inherit: {default: false}, script: [pytest]}\n",
	     "pytest", 0},
	    {top_level,
	     "job: {inherit: {default: [after_script]}, script: [pytest]}\n",
	     "pytest", 1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char root[] = "/tmp/ciguard-model-XXXXXX";
		char *ci = cg_xasprintf("%s%s", cases[i].defaults, cases[i].ci);
		const char *const files[] = {".gitlab-ci.yml", ci, NULL};
		struct cg_model m;
		const struct cg_gl_job *job;
		char *text;

		gl_build(&m, root, files);
		job = gl_job(&m, "job");
		text = gl_script_text(job);
		if (strcmp(text, cases[i].script) ||
		    job->nafter != cases[i].nafter)
			fail_msg(
			    "case %zu: script '%s', %zu after_script; want "
			    "'%s', %zu",
			    i, text, job->nafter, cases[i].script,
			    cases[i].nafter);
		free(text);
		assert_int_equal(m.nnotes, 0);
		gl_remove(&m, root);
		free(ci);
	}
}

/* Which allow_failure GitLab can use: the first matching `rules:` entry
 * wins, an entry without conditions hides the rest, `when: never` runs
 * nothing, and the job's own counts only where a live entry has none. */
static void test_model__gitlab_allow_failure_effective(void **state)
{
	static const struct {
		const char *ci;
		const char *want; /* per allow_failure: job or rule, live */
	} cases[] = {
	    {"job: {allow_failure: true, script: [t]}\n", "J+"},
	    {"job:\n  rules:\n    - {if: $A, allow_failure: true}\n"
	     "    - when: on_success\n  script: [t]\n",
	     "R+"},
	    {"job:\n  rules:\n    - when: on_success\n"
	     "    - {if: $A, allow_failure: true}\n  script: [t]\n",
	     "R-"},
	    {"job:\n  rules:\n    - {allow_failure: true}\n"
	     "    - {if: $A, allow_failure: true}\n  script: [t]\n",
	     "R+ R-"},
	    {"job:\n  rules:\n"
	     "    - {if: $A, when: never, allow_failure: true}\n"
	     "    - when: on_success\n  script: [t]\n",
	     "R-"},
	    {"job:\n  rules:\n"
	     "    - {changes: [a], when: manual, allow_failure: true}\n"
	     "  script: [t]\n",
	     "R+"},
	    /* the job's own: used where a live entry has none */
	    {"job:\n  allow_failure: true\n  rules:\n"
	     "    - {when: on_success, allow_failure: false}\n  script: [t]\n",
	     "J- R+"},
	    {"job:\n  allow_failure: true\n  rules:\n    - if: $A\n"
	     "  script: [t]\n",
	     "J+"},
	    {"job:\n  allow_failure: true\n  rules:\n"
	     "    - {if: $A, when: never}\n    - when: on_success\n"
	     "  script: [t]\n",
	     "J+"},
	    {"job:\n  allow_failure: true\n  rules:\n"
	     "    - {if: $A, when: never}\n  script: [t]\n",
	     "J-"},
	    {"job: {allow_failure: true, rules: [], script: [t]}\n", "J-"},
	    {"job:\n  allow_failure: true\n  rules:\n"
	     "    - {changes: [a], allow_failure: false}\n"
	     "    - {exists: [b]}\n  script: [t]\n",
	     "J+ R+"},
	    {"job:\n  allow_failure: true\n  rules:\n"
	     "    - {if: $A, allow_failure: false}\n"
	     "    - {when: always, allow_failure: false}\n"
	     "    - when: on_success\n  script: [t]\n",
	     "J- R+ R+"},
	    /* rules from !reference and extends, in order */
	    {".first: {rules: [{when: always}]}\n"
	     "job:\n  allow_failure: true\n  rules:\n"
	     "    - !reference [.first, rules]\n"
	     "    - {if: $A, allow_failure: false}\n  script: [t]\n",
	     "J+ R-"},
	    {".t:\n  allow_failure: true\n  rules:\n"
	     "    - {if: $A, allow_failure: false}\n"
	     "    - {when: on_success, allow_failure: false}\n"
	     "job: {extends: .t, script: [t]}\n",
	     "J- R+ R+"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char root[] = "/tmp/ciguard-model-XXXXXX";
		const char *const files[] = {".gitlab-ci.yml", cases[i].ci,
					     NULL};
		struct cg_buf got = CG_BUF_INIT;
		struct cg_model m;
		const struct cg_gl_job *job;

		gl_build(&m, root, files);
		job = gl_job(&m, "job");
		for (size_t a = 0; a < job->nallow_failures; a++)
			cg_buf_addf(&got, "%s%c%c", a ? " " : "",
				    job->allow_failures[a].rule ? 'R' : 'J',
				    job->allow_failures[a].effective ? '+'
								     : '-');
		if (strcmp(got.buf, cases[i].want))
			fail_msg("case %zu: '%s', want '%s'", i, got.buf,
				 cases[i].want);
		cg_buf_release(&got);
		gl_remove(&m, root);
	}
}

/* allow_failure is typed in the model: true, false, exit codes (a list or
 * one), anything else; with the places of the key and of exit_codes. */
static void test_model__gitlab_allow_failure_values(void **state)
{
	static const struct {
		const char *value;
		enum cg_gl_allow_value want;
		const char *codes; /* "[1, 2]", "3" or "" */
		uint32_t end_col;  /* of the value, on line 2 */
		uint32_t codes_col, codes_end_col;
	} cases[] = {
	    {"true", CG_GL_ALLOW_TRUE, "", 22, 0, 0},
	    {"False", CG_GL_ALLOW_FALSE, "", 23, 0, 0},
	    {"\"true\"", CG_GL_ALLOW_OTHER, "", 24, 0, 0},
	    {"{exit_codes: [1, x, 137]}", CG_GL_ALLOW_EXIT_CODES, "[1, 137]",
	     43, 19, 42},
	    {"{exit_codes: 3}", CG_GL_ALLOW_EXIT_CODES, "3", 33, 19, 32},
	    {"{exit_codes: []}", CG_GL_ALLOW_EXIT_CODES, "[]", 34, 19, 33},
	    {"{when: always}", CG_GL_ALLOW_OTHER, "", 32, 0, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char root[] = "/tmp/ciguard-model-XXXXXX";
		char *ci = cg_xasprintf("job:\n  allow_failure: %s\n"
					"  script: [pytest]\n",
					cases[i].value);
		const char *const files[] = {".gitlab-ci.yml", ci, NULL};
		struct cg_buf codes = CG_BUF_INIT;
		const struct cg_gl_allow_failure *af;
		struct cg_model m;
		const struct cg_gl_job *job;

		gl_build(&m, root, files);
		job = gl_job(&m, "job");
		assert_int_equal(job->nallow_failures, 1);
		af = &job->allow_failures[0];
		if (af->value == CG_GL_ALLOW_EXIT_CODES) {
			for (size_t c = 0; c < af->ncodes; c++)
				cg_buf_addf(&codes, "%s%d", c ? ", " : "",
					    af->codes[c]);
			if (af->codes_list) {
				cg_buf_reset(&codes);
				cg_buf_addch(&codes, '[');
				for (size_t c = 0; c < af->ncodes; c++)
					cg_buf_addf(&codes, "%s%d",
						    c ? ", " : "",
						    af->codes[c]);
				cg_buf_addch(&codes, ']');
			}
		}
		if (af->value != cases[i].want ||
		    strcmp(codes.buf, cases[i].codes) || af->pos.line != 2 ||
		    af->pos.col != 3 || af->pos.end_line != 2 ||
		    af->pos.end_col != cases[i].end_col ||
		    (cases[i].codes_col &&
		     (af->exit_codes_pos.line != 2 ||
		      af->exit_codes_pos.col != cases[i].codes_col ||
		      af->exit_codes_pos.end_col != cases[i].codes_end_col)))
			fail_msg("'%s': value %d codes '%s' at 2:%u-%u:%u, "
				 "exit_codes at %u:%u-%u",
				 cases[i].value, af->value, codes.buf,
				 af->pos.col, af->pos.end_line, af->pos.end_col,
				 af->exit_codes_pos.line,
				 af->exit_codes_pos.col,
				 af->exit_codes_pos.end_col);
		cg_buf_release(&codes);
		gl_remove(&m, root);
		free(ci);
	}
}

/* FF_ENABLE_BASH_EXIT_CODE_CHECK, read as gitlab-runner reads it (Go's
 * strconv.ParseBool), from the job's variables (through extends, key by
 * key) or the top-level ones it inherits. */
static void test_model__gitlab_exit_code_check(void **state)
{
	static const struct {
		const char *ci, *included;
		bool want;
	} cases[] = {
	    {"job: {script: [t]}\n", NULL, false},
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 'true'}\n"
	     "job: {script: [t]}\n",
	     NULL, true},
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: '1'}\n"
	     "job: {script: [t]}\n",
	     NULL, true},
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 1}\n"
	     "job: {script: [t]}\n",
	     NULL, true},
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: t}\n"
	     "job: {script: [t]}\n",
	     NULL, true},
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: T}\n"
	     "job: {script: [t]}\n",
	     NULL, true},
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: \"TRUE\"}\n"
	     "job: {script: [t]}\n",
	     NULL, true},
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: \"True\"}\n"
	     "job: {script: [t]}\n",
	     NULL, true},
	    /* not what ParseBool takes as true */
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 'yes'}\n"
	     "job: {script: [t]}\n",
	     NULL, false},
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 'on'}\n"
	     "job: {script: [t]}\n",
	     NULL, false},
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 'tRUE'}\n"
	     "job: {script: [t]}\n",
	     NULL, false},
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: ' true'}\n"
	     "job: {script: [t]}\n",
	     NULL, false},
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: ''}\n"
	     "job: {script: [t]}\n",
	     NULL, false},
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 'false'}\n"
	     "job: {script: [t]}\n",
	     NULL, false},
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: '0'}\n"
	     "job: {script: [t]}\n",
	     NULL, false},
	    {"variables:\n  FF_ENABLE_BASH_EXIT_CODE_CHECK:\n"
	     "    value: 'true'\n    description: check each item\n"
	     "job: {script: [t]}\n",
	     NULL, true},
	    /* the job's own, over the top-level one */
	    {"job:\n  variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 'true'}\n"
	     "  script: [t]\n",
	     NULL, true},
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 'true'}\n"
	     "job:\n  variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 'false'}\n"
	     "  script: [t]\n",
	     NULL, false},
	    /* through extends, merged variable by variable */
	    {".t: {variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 'true'}}\n"
	     "job: {extends: .t, variables: {OTHER: x}, script: [t]}\n",
	     NULL, true},
	    {".t: {variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 'true'}}\n"
	     "job:\n  extends: .t\n"
	     "  variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: '0'}\n"
	     "  script: [t]\n",
	     NULL, false},
	    /* inherit: variables: */
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 'true'}\n"
	     "job: {inherit: {variables: false}, script: [t]}\n",
	     NULL, false},
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 'true'}\n"
	     "job: {inherit: {variables: [OTHER]}, script: [t]}\n",
	     NULL, false},
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 'true'}\n"
	     "job:\n  inherit:\n"
	     "    variables: [OTHER, FF_ENABLE_BASH_EXIT_CODE_CHECK]\n"
	     "  script: [t]\n",
	     NULL, true},
	    {"variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 'true'}\n"
	     ".t: {inherit: {variables: false}}\n"
	     "job: {extends: .t, inherit: {default: false}, script: [t]}\n",
	     NULL, false},
	    {"job:\n  inherit: {variables: false}\n"
	     "  variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 'true'}\n"
	     "  script: [t]\n",
	     NULL, true},
	    /* an included file's, unless .gitlab-ci.yml sets its own */
	    {"include: [{local: ci/ff.yml}]\njob: {script: [t]}\n",
	     "variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 'true'}\n", true},
	    {"include: [{local: ci/ff.yml}]\n"
	     "variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 'false'}\n"
	     "job: {script: [t]}\n",
	     "variables: {FF_ENABLE_BASH_EXIT_CODE_CHECK: 'true'}\n", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char root[] = "/tmp/ciguard-model-XXXXXX";
		const char *const files[] = {".gitlab-ci.yml", cases[i].ci,
					     cases[i].included ? "ci/ff.yml"
							       : NULL,
					     cases[i].included, NULL};
		struct cg_model m;

		gl_build(&m, root, files);
		if (gl_job(&m, "job")->exit_code_check != cases[i].want)
			fail_msg("case %zu: exit_code_check %d, want %d", i,
				 !cases[i].want, cases[i].want);
		gl_remove(&m, root);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_model__github_shells),
	    cmocka_unit_test(test_model__config_errors_name_the_place),
	    cmocka_unit_test(test_model__walk_and_suppressions),
	    cmocka_unit_test(test_model__github_reraised_failure),
	    cmocka_unit_test(test_model__github_reraise_order_and_own_continue),
	    cmocka_unit_test(test_model__github_continue_on_error),
	    cmocka_unit_test(test_model__shell_script_file_refs),
	    cmocka_unit_test(test_model__script_refs_follow_cd),
	    cmocka_unit_test(test_model__github_composite_actions),
	    cmocka_unit_test(test_model__github_unchecked_shells_noted),
	    cmocka_unit_test(test_model__gitlab_extends_cycle_noted_once),
	    cmocka_unit_test(test_model__gitlab_extends),
	    cmocka_unit_test(test_model__gitlab_extends_cycle_per_file),
	    cmocka_unit_test(test_model__gitlab_reference),
	    cmocka_unit_test(test_model__gitlab_merge),
	    cmocka_unit_test(test_model__gitlab_include_wildcards),
	    cmocka_unit_test(test_model__gitlab_inherit_default),
	    cmocka_unit_test(test_model__gitlab_allow_failure_effective),
	    cmocka_unit_test(test_model__gitlab_allow_failure_values),
	    cmocka_unit_test(test_model__gitlab_exit_code_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
