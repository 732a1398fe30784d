/*
 * wiremock-duplicate-stub (full layer, warning): two stubs of one mappings
 * folder (one WireMock server) that match the same requests: the same
 * request pattern as a whole (method, URL matcher and its value, headers,
 * query, body patterns...; a missing method is ANY, as WireMock reads it),
 * the same priority (5 when not given) and the same scenario name and
 * required state. WireMock answers with one of them, whichever was added
 * last, so the other is dead and the tests depend on load order. Stubs
 * that differ only in priority or scenario state are how WireMock is
 * meant to be used, and are not reported. The finding is at the `request`
 * of the second of the two (in path order), naming the first.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/rule.h"
#include "core/banned.h"

static int cmp_opt(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* Equal when the two stubs match the same requests. */
static int cmp_match(const struct cg_wm_mapping *a,
		     const struct cg_wm_mapping *b)
{
	int c;

	if ((c = strcmp(a->mappings_dir, b->mappings_dir)))
		return c;
	if ((c = strcmp(a->request_key, b->request_key)))
		return c;
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	if ((c = cmp_opt(a->scenario, b->scenario)))
		return c;
	return cmp_opt(a->required_state, b->required_state);
}

static int cmp_row(const void *x, const void *y)
{
	const struct cg_wm_mapping *a = *(const struct cg_wm_mapping *const *)x;
	const struct cg_wm_mapping *b = *(const struct cg_wm_mapping *const *)y;
	int c;

	if ((c = cmp_match(a, b)))
		return c;
	if ((c = strcmp(a->src->path, b->src->path)))
		return c;
	if (a->pos.line != b->pos.line)
		return a->pos.line < b->pos.line ? -1 : 1;
	return a->pos.col < b->pos.col ? -1 : a->pos.col > b->pos.col;
}

static const char *matcher_name(enum cg_wm_url_kind k)
{
	switch (k) {
	case CG_WM_URL:
		return "url";
	case CG_WM_URL_PATH:
		return "urlPath";
	case CG_WM_URL_PATTERN:
		return "urlPattern";
	case CG_WM_URL_PATH_PATTERN:
		return "urlPathPattern";
	case CG_WM_URL_PATH_TEMPLATE:
		return "urlPathTemplate";
	case CG_WM_URL_ANY:
		break;
	}
	return "any URL";
}

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	const struct cg_wm_facts *w = &m->facts.wiremock;
	const struct cg_wm_mapping **v, *first = NULL;
	size_t n = 0;

	if (!w->nmappings)
		return;
	v = cg_xcalloc(w->nmappings, sizeof(*v));
	for (size_t i = 0; i < w->nmappings; i++) {
		const struct cg_wm_mapping *r = &w->mappings[i];

		/* a file WireMock refuses has no stubs to compare */
		if (r->loads && r->has_request && r->mappings_dir &&
		    r->request_key)
			v[n++] = r;
	}
	qsort(v, n, sizeof(*v), cmp_row);
	for (size_t i = 0; i < n; i++) {
		const struct cg_wm_mapping *r = v[i];

		if (!first || cmp_match(first, r)) {
			first = r; /* a new run of equal stubs */
			continue;
		}
		cg_report(ctx, r->src, &r->request_pos, r->request_key, NULL,
			  "this stub matches the same requests as the one "
			  "at %s:%u (%s, %s%s%s, priority %ld%s%s): WireMock "
			  "serves only one of them",
			  first->src->path, first->request_pos.line, r->method,
			  matcher_name(r->url_kind), r->url ? " " : "",
			  r->url ? r->url : "", r->priority,
			  r->scenario ? ", scenario " : "",
			  r->scenario ? r->scenario : "");
	}
	free(v);
}

const struct cg_rule cg_rule_wiremock_duplicate_stub = {
    .id = "wiremock-duplicate-stub",
    .layer = CG_LAYER_FULL,
    .severity = CG_SEV_WARNING,
    .summary = "two WireMock stubs with the same request matcher, priority "
	       "and scenario state",
    .explain =
	"When two stubs of one WireMock server match the same requests with "
	"the same priority and scenario state, WireMock serves the one "
	"added last. Which one that is depends on the order the files are "
	"read in, so one stub is dead and a test may pass on one machine "
	"and fail on another.\n"
	"\n"
	"Two stubs are the same when their whole request patterns are "
	"equal (method, where a missing method is ANY; the URL matcher, "
	"url and urlPath being different matchers; headers, query, cookies "
	"and body patterns), their priorities are equal (5 when not given) "
	"and so are their scenario name and required state. Stubs that "
	"differ in any of these are how WireMock is meant to be used.\n"
	"\n"
	"Bad (two files):\n"
	"\n"
	"    {\"request\": {\"method\": \"GET\", \"urlPathPattern\": "
	"\"/v1/charges/ch_.+\"},\n"
	"     \"response\": {\"status\": 200, \"bodyFileName\": "
	"\"charge-succeeded.json\"}}\n"
	"    {\"request\": {\"method\": \"GET\", \"urlPathPattern\": "
	"\"/v1/charges/ch_.+\"},\n"
	"     \"response\": {\"status\": 200, \"bodyFileName\": "
	"\"charge-failed.json\"}}\n"
	"\n"
	"Good (the specific stub wins by priority):\n"
	"\n"
	"    {\"priority\": 1, \"request\": {\"method\": \"GET\", \"urlPath\": "
	"\"/v1/charges/ch_declined\"},\n"
	"     \"response\": {\"status\": 200, \"bodyFileName\": "
	"\"charge-failed.json\"}}\n"
	"    {\"request\": {\"method\": \"GET\", \"urlPathPattern\": "
	"\"/v1/charges/ch_.+\"},\n"
	"     \"response\": {\"status\": 200, \"bodyFileName\": "
	"\"charge-succeeded.json\"}}\n",
    .hint = "remove one of the two, or tell them apart: a narrower "
	    "matcher, a priority, or a scenario state",
    .check = check,
};
