/* The WireMock mapping loader's facts (src/model/wiremock.c), from files
 * given in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "model/model.h"
#include "model/loader.h"

#define MAPPING "wiremock/mappings/stub.json"

static void build(struct cg_model *m, const struct cg_mem_file *files, size_t n,
		  enum cg_layer layer)
{
	struct cg_model_options o = {0};

	o.root = "mem";
	o.layer = layer;
	o.mem_files = files;
	o.nmem_files = n;
	assert_int_equal(cg_model_build(m, &o), 0);
}

/* One mapping file (and __files/body.json): its problems, as
 * "LINE:COL F message" (F: fatal or not), joined by newlines. */
static void problems_of(const char *text, char *out, size_t outlen)
{
	struct cg_mem_file files[] = {
	    {MAPPING, text, strlen(text)},
	    {"wiremock/__files/body.json", "{}", 2},
	};
	struct cg_model m;
	size_t len = 0;

	build(&m, files, 2, CG_LAYER_FULL);
	out[0] = '\0';
	for (size_t i = 0; i < m.facts.wiremock.nproblems; i++) {
		const struct cg_wm_problem *p = &m.facts.wiremock.problems[i];

		len += (size_t)snprintf(
		    out + len, outlen - len, "%s%u:%u %c %s", len ? "\n" : "",
		    p->pos.line, p->pos.col, p->fatal ? 'F' : '-', p->message);
		assert_true(len < outlen);
	}
	assert_int_equal(m.facts.wiremock.nmapping_files, 1);
	cg_model_release(&m);
}

static void test_wiremock__problems_as_wiremock_reads_the_file(void **state)
{
	static const struct {
		const char *text;
		const char *want; /* "" when none */
	} cases[] = {
	    /* comments and single quotes: WireMock's reader takes them */
	    {"// a stub\n{'request': {'method': 'GET', 'url': '/a'}, /* x */\n"
	     " 'response': {'status': 200, 'bodyFileName': 'body.json'}}",
	     ""},
	    {"{\"request\": {\"method\": \"GET\", \"url\": \"/a\"},\n"
	     " \"response\": {\"status\": 200,}}",
	     "2:28 F WireMock cannot read this file: trailing comma is not "
	     "allowed in JSON (WireMock rejects it)"},
	    {"{\"reqeust\": {\"method\": \"GET\", \"url\": \"/a\"},\n"
	     " \"response\": {\"status\": 200}}",
	     "1:2 F unknown property `reqeust` in a stub mapping: WireMock "
	     "refuses the file (did you mean `request`?)"},
	    {"{\"request\": {\"method\": \"GET\", \"urlpath\": \"/a\"},\n"
	     " \"response\": {\"status\": 200}}",
	     "1:31 F unknown property `urlpath` in `request`: WireMock "
	     "refuses the file (did you mean `urlPath`?)"},
	    {"{\"request\": {\"method\": \"GET\", \"url\": \"/a\"},\n"
	     " \"response\": {\"status\": \"200\", \"bodyFileName\": "
	     "\"body.json\"}}",
	     ""},
	    {"{\"request\": {\"method\": \"GET\", \"url\": \"/a\"},\n"
	     " \"response\": {\"status\": \"abc\"}}",
	     "2:25 F `status` `abc` is not an integer: WireMock refuses the "
	     "file"},
	    {"{\"request\": {\"method\": \"GET\", \"url\": \"/a\"},\n"
	     " \"response\": {\"status\": \"200.0\"}}",
	     "2:25 F `status` `200.0` is not an integer: WireMock refuses the "
	     "file"},
	    {"{\"request\": {\"method\": \"GET\", \"url\": \"/a\"},\n"
	     " \"response\": {\"status\": 201.5}}",
	     ""},
	    {"{\"priority\": \"high\", \"request\": {\"url\": \"/a\"},\n"
	     " \"response\": {}}",
	     "1:14 F `priority` `high` is not an integer: WireMock refuses "
	     "the file"},
	    {"{\"request\": {\"method\": \"GET\", \"url\": \"/a\"},\n"
	     " \"response\": {\"bodyFileName\": \"nope.json\"}}",
	     "2:31 - bodyFileName `nope.json` is not in wiremock/__files/: "
	     "WireMock answers this stub with an error"},
	    {"{\"request\": {\"method\": \"GET\", \"url\": \"/a\"},\n"
	     " \"response\": {\"bodyFileName\": "
	     "\"{{request.path.[1]}}.json\"}}",
	     ""},
	    {"{\"request\": {\"method\": \"GET\", \"url\": \"/a\"},\n"
	     " \"response\": {\"bodyFileName\": \"../../etc/passwd\"}}",
	     ""},
	    {"{\"request\": {\"headers\": {}}, \"response\": {}}",
	     "1:2 - `request` has neither `method` nor a URL matcher (url, "
	     "urlPath, urlPattern, urlPathPattern, urlPathTemplate): the stub "
	     "answers every request"},
	    {"{\"response\": {}}",
	     "1:1 - the stub has no `request`: WireMock makes it answer every "
	     "request"},
	    {"{\"request\": {\"method\": \"ANY\"}}",
	     "1:1 - the stub has no `response`: WireMock answers 200 with an "
	     "empty body"},
	    {"{\"request\": \"GET /a\", \"response\": {}}",
	     "1:13 F `request` must be an object: WireMock refuses the file"},
	    {"[{\"request\": {\"url\": \"/a\"}}]",
	     "1:1 F a mapping file holds one stub (an object) or "
	     "{\"mappings\": [...]}: WireMock cannot read this one"},
	    {"{\"mappings\": [{\"request\": {\"url\": \"/a\"}, \"response\": "
	     "{}},"
	     " 3]}",
	     "1:59 F an item of `mappings` must be a stub (an object): "
	     "WireMock refuses the file"},
	    {"{\"mappings\": {}}",
	     "1:14 F `mappings` must be a list of stubs: WireMock refuses "
	     "the file"},
	    {"{\"$schema\": \"x\", \"meta\": {}, \"mappings\": [], \"id\": "
	     "null}",
	     ""},
	    {"{\"id\": \"8C5DB8B0-2db4-4ad7-a99c-b1d4fcd8e5b9\", \"uuid\": "
	     "\"\",\n"
	     " \"request\": {\"url\": \"/a\"}, \"response\": {}}",
	     ""},
	    {"{\"id\": \"get-user-1\",\n"
	     " \"request\": {\"url\": \"/a\"}, \"response\": {}}",
	     "1:8 F `id` `get-user-1` is not a UUID: WireMock refuses the file "
	     "(leave it out, or write one such as "
	     "8c5db8b0-2db4-4ad7-a99c-b1d4fcd8e5b9)"},
	    {"", "1:1 F WireMock cannot read this file: expected a JSON value, "
		 "found end of input"},
	    /* WireMock reads the first value: what follows is ignored */
	    {"{\"request\": {\"method\": \"GET\", \"url\": \"/a\"},\n"
	     " \"response\": {}}\n}} trailing",
	     ""},
	    /* a matcher must name an operator WireMock knows */
	    {"{\"request\": {\"url\": \"/a\",\n"
	     " \"headers\": {\"Accept\": {\"equalsTo\": \"x\"}}},\n"
	     " \"response\": {}}",
	     "2:25 F unknown matcher `equalsTo` in `headers` `Accept`: "
	     "WireMock refuses the file (did you mean `equalTo`?)"},
	    {"{\"request\": {\"url\": \"/a\", \"bodyPatterns\": [\n"
	     " {\"equalToJson\": {}, \"ignoreExtraElements\": true},\n"
	     " {\"contains\": 5}]}, \"response\": {}}",
	     "3:15 F `contains` in `bodyPatterns` takes text, not 5: WireMock "
	     "refuses the file"},
	    /* a regex Java refuses: `{` that is no repeat count */
	    {"{\"request\": {\"urlPattern\": \"/users/{id}\"},\n"
	     " \"response\": {}}",
	     "1:28 F `urlPattern` `/users/{id}` is not a valid Java regular "
	     "expression: illegal repetition at `{` (offset 7): Java reads `{` "
	     "as a repeat count; write \"\\\\{\" in JSON for a brace; "
	     "WireMock refuses the file"},
	    {"{\"request\": {\"urlPattern\": \"/users/[0-9]{1,6}\"},\n"
	     " \"response\": {}}",
	     ""},
	    /* types: a method is text, a Boolean is not "yes" */
	    {"{\"persistent\": \"yes\",\n"
	     " \"request\": {\"method\": 1, \"url\": \"/a\"}, \"response\": "
	     "{}}",
	     "1:16 F `persistent` in a stub mapping must be true or false, not "
	     "\"yes\": WireMock refuses the file\n"
	     "2:24 F `method` must be text such as \"GET\", not 1: WireMock "
	     "refuses the file"},
	    /* a key given twice: Jackson reads both, the first fails */
	    {"{\"request\": {\"url\": \"/a\"},\n"
	     " \"response\": {\"status\": \"abc\", \"status\": 200}}",
	     "2:25 F `status` `abc` is not an integer: WireMock refuses the "
	     "file"},
	    /* two stubs of a file with one id */
	    {"{\"mappings\": [\n"
	     " {\"id\": \"8c5db8b0-2db4-4ad7-a99c-b1d4fcd8e5b9\", "
	     "\"request\": {\"url\": \"/a\"}, \"response\": {}},\n"
	     " {\"id\": \"8c5db8b0-2db4-4ad7-a99c-b1d4fcd8e5b9\", "
	     "\"request\": {\"url\": \"/b\"}, \"response\": {}}]}",
	     "3:9 F stub id `8c5db8b0-2db4-4ad7-a99c-b1d4fcd8e5b9` is already "
	     "the id of the stub at line 2: WireMock refuses the second "
	     "(Duplicate stub mapping ID) and does not start"},
	};
	char got[2048];
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		problems_of(cases[i].text, got, sizeof(got));
		if (strcmp(got, cases[i].want)) {
			print_error("case %zu:\n%s\nwant: %s\n got: %s\n", i,
				    cases[i].text, cases[i].want, got);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_wiremock__mapping_rows(void **state)
{
	static const char one[] =
	    "{\"priority\": 1, \"scenarioName\": \"s\",\n"
	    " \"requiredScenarioState\": \"Started\",\n"
	    " \"request\": {\"urlPathPattern\": \"/c/.+\"},\n"
	    " \"response\": {\"status\": 200}}";
	static const char two[] =
	    "{\"mappings\": [\n"
	    "  {'request': {'url': '/a', 'method': 'GET'}, 'response': {}},\n"
	    "  {\"request\": {\"method\": \"GET\", \"url\": \"/a\"},\n"
	    "   \"priority\": \"5\", \"response\": {}}\n"
	    "]}";
	static const struct cg_mem_file files[] = {
	    {"svc/wiremock/mappings/one.json", one, sizeof(one) - 1},
	    {"src/test/resources/mappings/sub/two.json", two, sizeof(two) - 1},
	    /* not a WireMock root */
	    {"es/mappings/index.json", "{,}", 3},
	};
	struct cg_model m;
	const struct cg_wm_mapping *r;

	(void)state;
	build(&m, files, 3, CG_LAYER_FULL);
	assert_int_equal(m.facts.wiremock.nmapping_files, 2);
	assert_int_equal(m.facts.wiremock.nmappings, 3);
	assert_int_equal(m.facts.wiremock.nproblems, 0);
	/* files are built in path order */
	r = &m.facts.wiremock.mappings[0];
	assert_string_equal(r->src->path,
			    "src/test/resources/mappings/sub/two.json");
	assert_string_equal(r->mappings_dir, "src/test/resources/mappings");
	assert_string_equal(r->files_dir, "src/test/resources/__files");
	assert_int_equal(r->url_kind, CG_WM_URL);
	assert_string_equal(r->url, "/a");
	assert_string_equal(r->method, "GET");
	assert_int_equal(r->priority, 5);
	assert_int_equal(r->request_pos.line, 2);
	assert_int_equal(r->request_pos.col, 4);
	assert_true(r->loads);
	/* key order and quotes do not matter; the priority "5" is 5 */
	assert_string_equal(r->request_key,
			    m.facts.wiremock.mappings[1].request_key);
	assert_int_equal(m.facts.wiremock.mappings[1].priority, 5);
	r = &m.facts.wiremock.mappings[2];
	assert_string_equal(r->mappings_dir, "svc/wiremock/mappings");
	assert_int_equal(r->url_kind, CG_WM_URL_PATH_PATTERN);
	assert_string_equal(r->method, "ANY");
	assert_int_equal(r->priority, 1);
	assert_string_equal(r->scenario, "s");
	assert_string_equal(r->required_state, "Started");
	/* a missing method is ANY, as WireMock reads it */
	assert_string_equal(
	    r->request_key,
	    "{\"method\":\"ANY\",\"urlPathPattern\":\"/c/.+\"}");
	cg_model_release(&m);
}

static void test_wiremock__quick_layer_reads_no_mapping(void **state)
{
	static const struct cg_mem_file files[] = {
	    {MAPPING, "{,}", 3},
	};
	struct cg_model m;

	(void)state;
	build(&m, files, 1, CG_LAYER_QUICK);
	assert_int_equal(m.nfiles, 0);
	assert_int_equal(m.facts.wiremock.nmapping_files, 0);
	assert_int_equal(m.facts.wiremock.nproblems, 0);
	cg_model_release(&m);
}

/* compose mounts into /home/wiremock: the root, the mappings folder, or
 * a folder that is not there */
static void test_wiremock__compose_mounts(void **state)
{
	static const char compose[] =
	    "services:\n"
	    "  a:\n"
	    "    image: wiremock/wiremock:3\n"
	    "    volumes:\n"
	    "      - ./stubs:/home/wiremock\n"
	    "  b:\n"
	    "    image: wiremock/wiremock:3\n"
	    "    volumes:\n"
	    "      - ./only/maps:/home/wiremock/mappings:ro\n"
	    "      - ./only/files:/home/wiremock/__files\n"
	    "  c:\n"
	    "    image: wiremock/wiremock:3\n"
	    "    volumes:\n"
	    "      - ./missing:/home/wiremock/\n"
	    "  d:\n"
	    "    image: wiremock/wiremock:3\n"
	    "    command: [\"--root-dir\", \"/data/\"]\n"
	    "    volumes:\n"
	    "      - ./stubs:/home/wiremock\n"
	    "      - ./only:/data/mappings\n"
	    "  e:\n"
	    "    image: redis:7\n"
	    "    command: --root-dir=/data\n"
	    "    volumes:\n"
	    "      - ./only:/data\n";
	static const char stub[] =
	    "{\"request\": {\"url\": \"/a\"}, \"response\": {\"bodyFileName\": "
	    "\"b.json\"}}";
	static const struct cg_mem_file files[] = {
	    {"docker-compose.yml", compose, sizeof(compose) - 1},
	    {"stubs/mappings/a.json", stub, sizeof(stub) - 1},
	    {"stubs/__files/b.json", "{}", 2},
	    {"only/maps/x/b.json", stub, sizeof(stub) - 1},
	    {"only/maps/readme.txt", "x", 1},
	};
	struct cg_model m;
	const struct cg_wm_facts *w;

	(void)state;
	build(&m, files, 5, CG_LAYER_FULL);
	w = &m.facts.wiremock;
	assert_int_equal(w->nsources, 4);
	assert_string_equal(m.facts.services[w->sources[0].service].name, "a");
	assert_string_equal(w->sources[0].path, "stubs");
	assert_true(w->sources[0].exists);
	assert_int_equal(w->sources[0].nmapping_files, 1);
	assert_string_equal(m.facts.services[w->sources[1].service].name, "b");
	assert_int_equal(w->sources[1].nmapping_files, 1);
	assert_string_equal(m.facts.services[w->sources[2].service].name, "c");
	assert_false(w->sources[2].exists);
	assert_int_equal(w->sources[2].nmapping_files, 0);
	/* d reads /data, not /home/wiremock; e is no WireMock */
	assert_string_equal(m.facts.services[w->sources[3].service].name, "d");
	assert_string_equal(w->sources[3].path, "only");
	assert_int_equal(w->sources[3].nmapping_files, 1);
	assert_int_equal(w->nmappings, 2);
	/* read in the order of the mounts */
	assert_string_equal(w->mappings[0].mappings_dir, "stubs/mappings");
	assert_string_equal(w->mappings[0].files_dir, "stubs/__files");
	assert_true(w->mappings[0].body_file_found);
	/* only/maps/x/b.json: its bodyFileName is in the __files mount */
	assert_string_equal(w->mappings[1].mappings_dir, "only/maps");
	assert_string_equal(w->mappings[1].files_dir, "only/files");
	assert_false(w->mappings[1].body_file_found);
	/* b.json is not in only/files */
	assert_int_equal(w->nproblems, 1);
	assert_string_equal(w->problems[0].src->path, "only/maps/x/b.json");
	cg_model_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_wiremock__problems_as_wiremock_reads_the_file),
	    cmocka_unit_test(test_wiremock__mapping_rows),
	    cmocka_unit_test(test_wiremock__quick_layer_reads_no_mapping),
	    cmocka_unit_test(test_wiremock__compose_mounts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
