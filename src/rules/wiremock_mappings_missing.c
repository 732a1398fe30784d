/*
 * wiremock-mappings-missing (full layer, error): a WireMock container that
 * starts without the repository's stubs. A compose service whose bind
 * mounts into its root (/home/wiremock, or its command's --root-dir) or
 * the root's mappings folder hold no mapping file: the folder does not exist or
 * has no .json file under mappings/. A GitHub Actions service container, which
 * starts before the checkout and so cannot mount the repository, when no step
 * of its job loads stubs into it (a POST to /__admin/mappings or
 * /__admin/mappings/import, or `docker cp`, in the step or in a script of
 * the repository it runs) while the repository has
 * mapping files to load. A repository without mapping files registers its
 * stubs at run time (WireMock clients in the tests): nothing is missing.
 */
#include "rules/rule.h"
#include "core/banned.h"

static bool loaded_by_ci(const struct cg_wm_facts *w, size_t service)
{
	for (size_t i = 0; i < w->nsources; i++)
		if (w->sources[i].service == service &&
		    w->sources[i].kind != CG_WM_SOURCE_MOUNT)
			return true;
	return false;
}

static void compose_services(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	const struct cg_wm_facts *w = &m->facts.wiremock;

	for (size_t s = 0; s < m->facts.nservices; s++) {
		const struct cg_service_fact *svc = &m->facts.services[s];
		const struct cg_wm_source *first = NULL;
		size_t files = 0;

		for (size_t i = 0; i < w->nsources; i++) {
			const struct cg_wm_source *src = &w->sources[i];

			if (src->service != s ||
			    src->kind != CG_WM_SOURCE_MOUNT)
				continue;
			if (!first)
				first = src;
			/* git ignores what is there: untracked-required-file
			 * says so, and locally the stubs are there */
			files += src->nmapping_files + src->unlisted;
		}
		if (!first || files)
			continue;
		if (!first->exists)
			cg_report(ctx, svc->src, &svc->pos, svc->name, NULL,
				  "WireMock service `%s` mounts `%s`, which "
				  "does not exist: it starts with no stubs",
				  svc->name, first->path);
		else
			cg_report(ctx, svc->src, &svc->pos, svc->name, NULL,
				  "WireMock service `%s` mounts `%s`, which "
				  "holds no mapping file (.json under "
				  "mappings/): it starts with no stubs",
				  svc->name, first->path);
	}
}

static void github_services(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	const struct cg_wm_facts *w = &m->facts.wiremock;

	if (!w->nmapping_files)
		return;
	for (size_t g = 0; g < m->facts.ngroups; g++) {
		const struct cg_script_group *grp = &m->facts.groups[g];

		if (grp->kind != CG_GROUP_GITHUB_JOB)
			continue;
		for (size_t i = 0; i < grp->nservices; i++) {
			size_t s = grp->services[i];
			const struct cg_service_fact *svc =
			    &m->facts.services[s];

			if (svc->kind != CG_SERVICE_WIREMOCK ||
			    loaded_by_ci(w, s))
				continue;
			cg_report(ctx, svc->src, &svc->pos, svc->name,
				  "add a step after the checkout that posts "
				  "the mappings: `curl -X POST --data-binary "
				  "@FILE http://localhost:PORT/__admin/"
				  "mappings` (or .../mappings/import)",
				  "WireMock service `%s` of job `%s` starts "
				  "before the checkout and no step loads "
				  "stubs into it: it answers 404 to every "
				  "request",
				  svc->name, grp->name);
		}
	}
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	compose_services(ctx, m);
	github_services(ctx, m);
}

const struct cg_rule cg_rule_wiremock_mappings_missing = {
    .id = "wiremock-mappings-missing",
    .layer = CG_LAYER_FULL,
    .severity = CG_SEV_ERROR,
    .summary = "a WireMock container whose mappings source is missing or "
	       "empty, or a GitHub service nothing loads mappings into",
    .explain =
	"A WireMock server without its stubs answers 404 to every request, "
	"and the tests fail as if the code under test were broken.\n"
	"\n"
	"A compose service gets its stubs from a folder bind-mounted into "
	"its root, /home/wiremock or the --root-dir of its command (or "
	"into the root's mappings/): the folder must exist and hold .json "
	"files under mappings/. A GitHub Actions "
	"service container starts before any step, so before "
	"actions/checkout: it cannot mount the repository, and a step must "
	"load the stubs, with a POST to /__admin/mappings or "
	"/__admin/mappings/import, or with `docker cp` (in the step, or in "
	"a script of the repository the step runs). (A repository with "
	"no mapping files registers stubs at run time, from its tests: "
	"then nothing is reported for a GitHub service.)\n"
	"\n"
	"Bad:\n"
	"\n"
	"    services:\n"
	"      wiremock:\n"
	"        image: wiremock/wiremock:3.9.1\n"
	"        volumes:\n"
	"          - ./stubs:/home/wiremock      # there is no stubs/ folder\n"
	"\n"
	"Good:\n"
	"\n"
	"    services:\n"
	"      wiremock:\n"
	"        image: wiremock/wiremock:3.9.1\n"
	"        volumes:\n"
	"          - ./wiremock:/home/wiremock   # wiremock/mappings/*.json\n"
	"\n"
	"and in a GitHub workflow, after the checkout:\n"
	"\n"
	"    - name: Load WireMock stubs\n"
	"      run: |\n"
	"        jq -s '{mappings: .}' wiremock/mappings/*.json |\n"
	"          curl -fsS -X POST --data-binary @- \\\n"
	"            http://localhost:8080/__admin/mappings/import\n",
    .hint = "mount the folder that holds mappings/ (compose), or load the "
	    "stubs in a step after the checkout (GitHub services)",
    .check = check,
};
