/*
 * libFuzzer target for the whole check: the input becomes a small
 * repository in memory (opt.mem_files, no temp folder), which is modelled
 * and checked with every rule. It must never crash, and every finding must
 * point inside its file (nested `bash -c` scripts map their positions
 * through the outer one).
 *
 * The input is one file or several. A line `#@NAME` (at the start of a
 * line) starts a new file whose name NAME selects from the table below;
 * the line stays in the file's text, a comment in every format here but
 * JSON (WireMock mappings), whose text starts after it. Text
 * before the first such line is the workflow, or `.gitlab-ci.yml` when the
 * input starts with `#gitlab` (the corpus's older convention). A name that
 * is unknown, or already used, starts no new file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/diag_list.h"
#include "model/model.h"
#include "rules/rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char *name; /* after `#@` */
	const char *path;
	bool json; /* the `#@` line is not part of the file */
} kinds[] = {
    {"workflow", ".github/workflows/ci.yml", false},
    {"action", ".github/actions/setup/action.yml", false},
    {"gitlab", ".gitlab-ci.yml", false},
    {"gitlab-include", "ci/jobs.yml", false},
    {"compose", "docker-compose.yml", false},
    {"compose-override", "docker-compose.override.yml", false},
    {"compose-env", "config/app.env", false},
    {"k8s", "k8s/deployment.yaml", false},
    {"k8s-config", "k8s/config.yaml", false},
    {"kustomization", "k8s/kustomization.yaml", false},
    {"k8s-patch", "k8s/patch.yaml", false},
    {"helm-chart", "chart/Chart.yaml", false},
    {"helm", "chart/templates/deployment.yaml", false},
    {"env-example", ".env.example", false},
    {"env", ".env", false},
    {"docs", "docs/connectivity.md", false},
    {"wiremock", "wiremock/mappings/stub.json", true},
    {"wiremock-more", "wiremock/mappings/sub/more.json", true},
    {"wiremock-body", "wiremock/__files/body.json", true},
    {"js", "web/src/app.jsx", true},
    {"ts", "web/src/env.ts", true},
    {"python", "app/main.py", false},
    {"python-init", "app/__init__.py", false},
    {"python-worker", "app/worker/limiter.py", false},
    {"dockerfile", "Dockerfile", false},
    {"dockerfile-worker", "worker/worker.Dockerfile", false},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "invariant violated: %s\n", what);
		abort();
	}
}

/* The kind a `#@NAME` line at `p` names (the rest of the line), or -1. */
static int kind_at(const char *p, const char *end)
{
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	size_t n;

	if (end - p < 3 || p[0] != '#' || p[1] != '@')
		return -1;
	n = (size_t)((eol ? eol : end) - p - 2);
	if (n && p[2 + n - 1] == '\r')
		n--;
	for (size_t k = 0; k < NKINDS; k++)
		if (strlen(kinds[k].name) == n &&
		    !memcmp(kinds[k].name, p + 2, n))
			return (int)k;
	return -1;
}

/* Split the input into files; returns how many. */
static size_t split(const char *text, size_t size, struct cg_mem_file *files)
{
	const char *p = text, *end = text + size;
	bool used[NKINDS] = {false};
	size_t n = 0;
	int first = size >= 7 && !memcmp(text, "#gitlab", 7) ? 2 : 0;

	files[0].path = kinds[first].path;
	files[0].text = text;
	used[first] = true;
	n = 1;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		int k = kind_at(p, end);

		if (k >= 0 && !used[k]) {
			files[n - 1].len = (size_t)(p - files[n - 1].text);
			/* an empty leading workflow is no file */
			if (n == 1 && !files[0].len) {
				used[first] = false;
				n = 0;
			}
			files[n].path = kinds[k].path;
			files[n].text = p;
			if (kinds[k].json)
				files[n].text = eol ? eol + 1 : end;
			used[k] = true;
			n++;
		}
		p = eol ? eol + 1 : end;
	}
	files[n - 1].len = (size_t)(end - files[n - 1].text);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cg_mem_file files[NKINDS];
	struct cg_model_options mo;
	struct cg_check_options co;
	struct cg_diag_list out;
	struct cg_check_session *session;
	struct cg_model m;
	bool built;

	memset(&mo, 0, sizeof(mo));
	mo.root = "fuzz";
	mo.layer = CG_LAYER_FULL;
	mo.mem_files = files;
	mo.nmem_files = split((const char *)data, size, files);
	memset(&co, 0, sizeof(co));
	co.layer = CG_LAYER_FULL;
	cg_diag_list_init(&out);
	/* as `ciguard check` runs: the code rules see each Python module
	 * while it is built, and the model forgets it */
	session = cg_check_begin(&m, &co);
	mo.code_visit = cg_check_code;
	mo.code_arg = session;
	built = cg_model_build(&m, &mo) == 0;
	if (!built)
		cg_check_abandon(session);
	else
		cg_check_finish(session, &out);
	if (built) {
		cg_filter_suppressions(&out, &m, &co);
		for (size_t i = 0; i < out.n; i++) {
			const struct cg_pos *p = &out.items[i].pos;
			const struct cg_src *src =
			    cg_model_find_src(&m, out.items[i].path);

			check(out.items[i].message && out.items[i].message[0],
			      "finding without a message");
			if (!src)
				continue;
			check(p->line >= 1 && p->line <= src->nlines &&
				  p->col >= 1,
			      "finding outside the file");
			check(p->end_line > p->line ||
				  (p->end_line == p->line &&
				   p->end_col >= p->col),
			      "finding ends before it starts");
		}
	}
	cg_model_release(&m);
	cg_diag_list_release(&out);
	return 0;
}
