/*
 * wiremock-mapping-invalid (full layer, error): a WireMock mapping file
 * that WireMock cannot load, or a stub in it that loads but cannot answer
 * as meant. The model judges each file by WireMock's own reader and JSON
 * model (wiremock.c): its JSON dialect (comments and single quotes load,
 * a trailing comma does not), unknown properties, the types of fields,
 * matchers and their operators, the shape of
 * `request`/`response`/`mappings`, a stub without a request, a
 * response or a method/URL matcher, and a `bodyFileName` missing from
 * `__files/` (a templated one is not judged). Each problem is a finding
 * at its position.
 */
#include "rules/rule.h"
#include "core/banned.h"

static void check(struct cg_rule_ctx *ctx, const struct cg_model *m)
{
	const struct cg_wm_facts *w = &m->facts.wiremock;

	for (size_t i = 0; i < w->nproblems; i++) {
		const struct cg_wm_problem *p = &w->problems[i];

		cg_report(ctx, p->src, &p->pos, p->subject, NULL, "%s",
			  p->message);
	}
}

const struct cg_rule cg_rule_wiremock_mapping_invalid = {
    .id = "wiremock-mapping-invalid",
    .layer = CG_LAYER_FULL,
    .severity = CG_SEV_ERROR,
    .summary = "a WireMock mapping file that WireMock cannot load, or a "
	       "stub that cannot answer as meant",
    .explain =
	"WireMock reads every .json file under mappings/ of its root when "
	"it starts, and one file it cannot read stops the server: the "
	"tests then fail with connection errors far from the cause. "
	"ciguard judges a mapping file the way WireMock's own reader does: "
	"// and /* */ comments and 'single quotes' load, a trailing comma "
	"or an unquoted key does not; an unknown property (a typo such as "
	"\"reqeust\") fails the file; \"status\": \"200\" is read as 200 but "
	"\"abc\" fails; an `id` must be a UUID; a matcher must name an "
	"operator WireMock knows ({\"equalsTo\": ...} fails the file, "
	"{\"equalTo\": ...} loads) and a regex must compile in Java "
	"(\"/users/{id}\" does not). WireMock reads the first JSON value "
	"of a file and ignores what follows it. A file in UTF-16 or UTF-32 "
	"(a byte-order mark, or zero bytes among the first four: what "
	"Windows PowerShell 5 writes) loads; one in Latin-1 or "
	"Windows-1252 with an accented letter in a string or a comment "
	"does not. Some stubs load but cannot "
	"answer as meant: one "
	"without `request`, or whose request has neither a method nor a "
	"URL matcher, answers every request; one without `response` "
	"answers 200 with an empty body; a `bodyFileName` that is not "
	"under __files/ makes it answer with an error. A bodyFileName "
	"with a `{{ }}` template in it is only known when a request "
	"comes, and is not judged.\n"
	"\n"
	"Mapping files are found under wiremock/mappings/ and "
	"src/test/resources/mappings/ anywhere in the repository, and under "
	"the folders compose mounts into /home/wiremock.\n"
	"\n"
	"Bad (wiremock/mappings/refund.json):\n"
	"\n"
	"    {\n"
	"      \"reqeust\": { \"method\": \"POST\", \"urlPath\": "
	"\"/v1/refunds\" },\n"
	"      \"response\": {\n"
	"        \"status\": 200,\n"
	"        \"headers\": { \"Content-Type\": \"application/json\", },\n"
	"        \"bodyFileName\": \"refund.json\"\n"
	"      }\n"
	"    }\n"
	"\n"
	"Good:\n"
	"\n"
	"    {\n"
	"      // comments are fine: WireMock allows them\n"
	"      \"request\": { \"method\": \"POST\", \"urlPath\": "
	"\"/v1/refunds\" },\n"
	"      \"response\": {\n"
	"        \"status\": 200,\n"
	"        \"headers\": { \"Content-Type\": \"application/json\" },\n"
	"        \"bodyFileName\": \"refund-created.json\"\n"
	"      }\n"
	"    }\n",
    .hint = "fix the mapping so WireMock loads it; for a body file, add it "
	    "under __files/ or fix the name",
    .check = check,
};
