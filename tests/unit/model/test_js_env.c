/* The JavaScript/TypeScript loader's env reads, from files in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/model.h"
#include "model/loader.h"

#define MEM(path, text)                                                        \
	{                                                                      \
		path, text, sizeof(text) - 1                                   \
	}

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

/* The code reads, one per line as `NAME@path:line:col` plus ` default`,
 * in the order found; caller frees. */
static char *reads(const struct cg_model *m)
{
	struct cg_buf b = CG_BUF_INIT;

	for (size_t i = 0; i < m->facts.nenv; i++) {
		const struct cg_env_fact *e = &m->facts.env[i];

		if (e->place != CG_PLACE_CODE)
			continue;
		assert_int_equal(e->role, CG_ENV_USE);
		cg_buf_addf(&b, "%s@%s:%u:%u%s\n", e->name, e->src->path,
			    e->pos.line, e->pos.col,
			    e->has_default ? " default" : "");
	}
	return cg_buf_detach(&b, NULL);
}

static void expect_reads(const struct cg_mem_file *files, size_t n,
			 enum cg_layer layer, const char *want)
{
	struct cg_model m;
	char *got;

	build(&m, files, n, layer);
	got = reads(&m);
	if (strcmp(got, want))
		fail_msg("want:\n%s\ngot:\n%s", want, got);
	free(got);
	cg_model_release(&m);
}

static void test_js_env__forms(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM("src/app.js",
		"const a = process.env.A;\n"				 /* 1 */
		"const b = process.env[\"B\"], c = process.env['C'];\n"	 /* 2 */
		"const { D, E: e, F = \"d\", ...rest } = process.env;\n" /* 3 */
		"const g = process.env.G || \"d\";\n"			 /* 4 */
		"const h = process.env.H ?? 'd';\n"			 /* 5 */
		"const i = process?.env?.I;\n"				 /* 6 */
		"const j = import.meta.env.VITE_J;\n"			 /* 7 */
		"const mode = import.meta.env.MODE;\n"			 /* 8 */
		"process.env.WRITTEN = '1';\n"				 /* 9 */
		"delete process.env.DELETED;\n"		 /* 10 */
		"const k = process.env[name];\n"	 /* 11 */
		"const l = process.env['not-a-name'];\n" /* 12 */
		"const t = `${process.env.T}`;\n"	 /* 13 */
		"const env = process.env;\n"		 /* 14 */
		"const u = env.U, { V } = env;\n"	 /* 15 */
		"const w = process.env.W ? 1 : 2;\n"	 /* 16 */
		"function f({ X } = process.env) {}\n"	 /* 17 */
		"const y = globalThis.process.env.Y;\n"	 /* 18 */
		"const z = other.process.env.Z;\n"
		"process.env.hasOwnProperty('METHOD');\n"), /* 19 */
	    MEM("src/types.ts",
		"const { P }: Record<string, string> = process.env;\n"
		"const q = process.env.Q!;\n"),
	};

	(void)state;
	expect_reads(files, 2, CG_LAYER_FULL,
		     "A@src/app.js:1:23\n"
		     "B@src/app.js:2:24\n"
		     "C@src/app.js:2:46\n"
		     "D@src/app.js:3:9\n"
		     "E@src/app.js:3:12\n"
		     "F@src/app.js:3:18 default\n"
		     "G@src/app.js:4:23 default\n"
		     "H@src/app.js:5:23 default\n"
		     "I@src/app.js:6:25\n"
		     "VITE_J@src/app.js:7:27\n"
		     "T@src/app.js:13:26\n"
		     "U@src/app.js:15:15\n"
		     "V@src/app.js:15:20\n"
		     "W@src/app.js:16:23 default\n"
		     "X@src/app.js:17:14\n"
		     "Y@src/app.js:18:34\n"
		     "P@src/types.ts:1:9\n"
		     "Q@src/types.ts:2:23\n");
}

/* Comments, strings, template text, regexes and JSX text read nothing. */
static void test_js_env__not_code(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM("web/page.jsx",
		"// process.env.C1\n"
		"/* process.env.C2 */\n"
		"const s = 'process.env.S1' + \"process.env.S2\";\n"
		"const t = `process.env.T1 ${x} process.env.T2`;\n"
		"const r = /process.env.R1/g, d = a / process.env.DIV / 2;\n"
		"const j = <p title=\"process.env.J1\">Don't process.env.J2 "
		"{process.env.J3}</p>;\n"),
	};

	(void)state;
	expect_reads(files, 1, CG_LAYER_FULL,
		     "DIV@web/page.jsx:5:50\n"
		     "J3@web/page.jsx:6:71\n");
}

/* Generated, third-party, minified and declaration files are not read,
 * nor a file with no `env` in it; .ts is not JSX. */
static void test_js_env__files(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM("node_modules/x/index.js", "process.env.NM;\n"),
	    MEM("app/dist/main.js", "process.env.DIST;\n"),
	    MEM("build/main.js", "process.env.BUILD;\n"),
	    MEM("public/app.min.js", "process.env.MIN;\n"),
	    MEM("src/types.d.ts", "process.env.DTS;\n"),
	    MEM("src/ok.mjs", "process.env.MJS;\n"),
	    MEM("src/ok.cjs", "process.env.CJS;\n"),
	    MEM("src/ok.mts", "const a = <T>x; process.env.MTS;\n"),
	    MEM("src/ok.cts", "process.env.CTS;\n"),
	    MEM("src/ok.tsx", "const a = <p>{process.env.TSX}</p>;\n"),
	    MEM("src/plain.js", "console.log(1);\n"),
	};

	(void)state;
	expect_reads(files, sizeof(files) / sizeof(*files), CG_LAYER_FULL,
		     "CJS@src/ok.cjs:1:13\n"
		     "CTS@src/ok.cts:1:13\n"
		     "MJS@src/ok.mjs:1:13\n"
		     "MTS@src/ok.mts:1:29\n"
		     "TSX@src/ok.tsx:1:27\n");
}

/* `check --quick` never opens a JavaScript file. */
static void test_js_env__quick_layer(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM("src/app.js", "process.env.A;\n"),
	    MEM(".env.example", "B=1\n"),
	};
	struct cg_model m;

	(void)state;
	build(&m, files, 2, CG_LAYER_QUICK);
	for (size_t i = 0; i < m.nfiles; i++)
		assert_string_not_equal(m.files[i]->src.path, "src/app.js");
	for (size_t i = 0; i < m.facts.nenv; i++)
		assert_int_not_equal(m.facts.env[i].place, CG_PLACE_CODE);
	cg_model_release(&m);
	expect_reads(files, 2, CG_LAYER_FULL, "A@src/app.js:1:13\n");
}

/* A file of long lines is minified, whatever its name: not read. */
static void test_js_env__minified_content(void **state)
{
	struct cg_buf b = CG_BUF_INIT;
	struct cg_mem_file f[2];
	struct cg_model m;
	char *got;

	(void)state;
	cg_buf_addstr(&b, "var a=process.env.MINIFIED;");
	while (b.len < 8192)
		cg_buf_addstr(&b, "function n(e){return e+1};");
	f[0].path = "static/main.js";
	f[0].text = b.buf;
	f[0].len = b.len;
	f[1].path = "src/app.js";
	f[1].text = "var a = process.env.READ;\n";
	f[1].len = strlen(f[1].text);
	build(&m, f, 2, CG_LAYER_FULL);
	got = reads(&m);
	assert_string_equal(got, "READ@src/app.js:1:21\n");
	free(got);
	cg_model_release(&m);
	cg_buf_release(&b);
}

/* Too deep a nesting is a note; what came before is read. */
static void test_js_env__hostile(void **state)
{
	struct cg_buf b = CG_BUF_INIT;
	struct cg_mem_file f;
	struct cg_model m;
	char *got;
	bool noted = false;

	(void)state;
	cg_buf_addstr(&b, "process.env.BEFORE;\n");
	for (int i = 0; i < 5000; i++)
		cg_buf_addstr(&b, "[{(`${\n");
	cg_buf_addstr(&b, "process.env.AFTER\n");
	f.path = "deep.js";
	f.text = b.buf;
	f.len = b.len;
	build(&m, &f, 1, CG_LAYER_FULL);
	got = reads(&m);
	assert_string_equal(got, "BEFORE@deep.js:1:13\n");
	for (size_t i = 0; i < m.nnotes; i++)
		noted = noted || strstr(m.notes[i].message, "deep.js: ");
	assert_true(noted);
	free(got);
	cg_model_release(&m);
	cg_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_js_env__forms),
	    cmocka_unit_test(test_js_env__not_code),
	    cmocka_unit_test(test_js_env__files),
	    cmocka_unit_test(test_js_env__quick_layer),
	    cmocka_unit_test(test_js_env__minified_content),
	    cmocka_unit_test(test_js_env__hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
