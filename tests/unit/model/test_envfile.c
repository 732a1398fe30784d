/* The env file loaders' facts, from files given in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "model/model.h"
#include "model/loader.h"

#define MEM(path, text)                                                        \
	{                                                                      \
		path, text, sizeof(text) - 1                                   \
	}

static void build(struct cg_model *m, const struct cg_mem_file *files, size_t n)
{
	struct cg_model_options o = {0};

	o.root = "mem";
	o.layer = CG_LAYER_QUICK;
	o.mem_files = files;
	o.nmem_files = n;
	assert_int_equal(cg_model_build(m, &o), 0);
}

static const struct cg_env_fact *def(const struct cg_model *m, const char *path,
				     const char *name)
{
	for (size_t i = 0; i < m->facts.nenv; i++) {
		const struct cg_env_fact *e = &m->facts.env[i];

		if (e->role == CG_ENV_DEF && !strcmp(e->name, name) &&
		    !strcmp(e->src->path, path))
			return e;
	}
	fail_msg("no definition of %s in %s", name, path);
	return NULL;
}

static void test_envfile__example_entries(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM(".env.example",
		"# The database\n"				     /* 1 */
		"# required\n"					     /* 2 */
		"DATABASE_URL=postgres://localhost/db\n"	     /* 3 */
		"REDIS_URL=redis://x  # Required: the broker\n"	     /* 4 */
		"\n"						     /* 5 */
		"LOG_LEVEL=debug\n"				     /* 6 */
		"TOKEN='$NOT_INTERP' # not required\n"		     /* 7 */
		"EMPTY=\n"					     /* 8 */
		"bad line here\n"				     /* 9 */
		"export SECRET=\"a ${B}\" # the secret (required)\n" /* 10 */
		"HOST=$OTHER\n"),				     /* 11 */
	};
	struct cg_model m;
	const struct cg_env_fact *e;
	const struct cg_scope *s;

	(void)state;
	build(&m, files, 1);
	assert_int_equal(m.nfiles, 1);
	e = def(&m, ".env.example", "DATABASE_URL");
	s = &m.facts.scopes[e->scope];
	assert_int_equal(s->kind, CG_SCOPE_FILE);
	assert_int_equal(s->place, CG_PLACE_ENV_EXAMPLE);
	assert_int_equal(s->environment, CG_ENVIRONMENT_LOCAL);
	assert_int_equal(m.files[0]->scope, e->scope);
	assert_int_equal(e->place, CG_PLACE_ENV_EXAMPLE);
	assert_string_equal(e->value, "postgres://localhost/db");
	assert_int_equal(e->value_kind, CG_VALUE_LITERAL);
	assert_int_equal(e->pos.line, 3);
	assert_int_equal(e->pos.col, 1);
	assert_int_equal(e->pos.end_col, 13);
	assert_int_equal(e->value_pos.col, 14);
	assert_true(e->value_has_pos);
	assert_true(e->commented);
	assert_true(e->required); /* the comment line directly above */
	e = def(&m, ".env.example", "REDIS_URL");
	assert_true(e->required); /* trailing */
	assert_true(e->commented);
	e = def(&m, ".env.example", "LOG_LEVEL");
	assert_false(e->commented); /* a blank line detaches comments */
	assert_false(e->required);
	e = def(&m, ".env.example", "TOKEN");
	assert_string_equal(e->value, "$NOT_INTERP");
	assert_int_equal(e->value_kind, CG_VALUE_LITERAL); /* single quotes */
	assert_false(e->required);
	e = def(&m, ".env.example", "EMPTY");
	assert_null(e->value);
	assert_int_equal(e->value_kind, CG_VALUE_NONE);
	e = def(&m, ".env.example", "SECRET");
	assert_int_equal(e->value_kind, CG_VALUE_INTERP);
	assert_true(e->required);
	assert_int_equal(e->pos.line, 10);
	assert_int_equal(e->pos.col, 8);
	e = def(&m, ".env.example", "HOST");
	assert_int_equal(e->value_kind, CG_VALUE_VARIABLE);
	assert_string_equal(e->ref, "OTHER");
	assert_int_equal(m.nnotes, 1);
	assert_non_null(strstr(m.notes[0].message,
			       ".env.example:9:5: expected '=' after 'bad'"));
	cg_model_release(&m);
}

/* `# required` as a marker: the first word, or the last in brackets. */
static void test_envfile__required_marker(void **state)
{
	static const struct {
		const char *comment;
		bool required;
	} cases[] = {
	    {"required", true},
	    {"Required.", true},
	    {"REQUIRED: the signing key", true},
	    {"(required) the signing key", true},
	    {"[Required]", true},
	    {"required-if-enabled", true},
	    {"the database URL (required)", true},
	    {"the token [required].", true},
	    {"##   required  ", true},
	    {"not required", false},
	    {"These are not required.", false},
	    {"required_if_x", false},
	    {"requiredness", false},
	    {"This is required if you expose it", false},
	    {"only required for v23", false},
	    {"the database URL, required", false},
	    {"(required", true},
	    {"", false},
	};
	size_t n = sizeof(cases) / sizeof(*cases);
	struct cg_buf text = CG_BUF_INIT;
	struct cg_mem_file file;
	struct cg_model m;

	(void)state;
	/* each case twice: trailing, and on the line above */
	for (size_t i = 0; i < n; i++)
		cg_buf_addf(&text, "T%zu=x # %s\n\n#%s\nA%zu=x\n\n", i,
			    cases[i].comment, cases[i].comment, i);
	file.path = "config/app.env.sample";
	file.text = text.buf;
	file.len = text.len;
	build(&m, &file, 1);
	for (size_t i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "T%zu", i);
		if (def(&m, "config/app.env.sample", name)->required !=
		    cases[i].required)
			fail_msg("trailing '%s'", cases[i].comment);
		snprintf(name, sizeof(name), "A%zu", i);
		if (def(&m, "config/app.env.sample", name)->required !=
		    cases[i].required)
			fail_msg("above '%s'", cases[i].comment);
	}
	cg_model_release(&m);
	cg_buf_release(&text);
}

/* Which names are example files, which are committed env files. */
static void test_envfile__names_and_places(void **state)
{
	static const struct {
		const char *path;
		bool read;
		enum cg_place place;
	} cases[] = {
	    {".env", true, CG_PLACE_DOTENV},
	    {"docker/.env", true, CG_PLACE_DOTENV},
	    {"a/.env.example", true, CG_PLACE_ENV_EXAMPLE},
	    {".env.sample", true, CG_PLACE_ENV_EXAMPLE},
	    {"b/.env.template", true, CG_PLACE_ENV_EXAMPLE},
	    {".env.dist", true, CG_PLACE_ENV_EXAMPLE},
	    {"c/d/.env.dev.example", true, CG_PLACE_ENV_EXAMPLE},
	    {"dev/.env.docker.template", true, CG_PLACE_ENV_EXAMPLE},
	    {"e/app.env.example", true, CG_PLACE_ENV_EXAMPLE},
	    {"example.env", true, CG_PLACE_ENV_EXAMPLE},
	    {"f/env.example", true, CG_PLACE_ENV_EXAMPLE},
	    {".env.local", false, CG_PLACE_DOTENV},
	    {"config.env", false, CG_PLACE_DOTENV},
	    {".envrc", false, CG_PLACE_DOTENV},
	    {"docs/example.env.md", false, CG_PLACE_DOTENV},
	};
	size_t n = sizeof(cases) / sizeof(*cases);
	struct cg_mem_file files[sizeof(cases) / sizeof(*cases)];
	struct cg_model m;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		files[i].path = cases[i].path;
		files[i].text = "K=v\n";
		files[i].len = 4;
	}
	build(&m, files, n);
	for (size_t i = 0; i < n; i++) {
		const struct cg_src *src = cg_model_find_src(&m, cases[i].path);
		const struct cg_file *f = NULL;

		if (!cases[i].read) {
			if (src)
				fail_msg("%s was read", cases[i].path);
			continue;
		}
		if (!src)
			fail_msg("%s was not read", cases[i].path);
		for (size_t k = 0; k < m.nfiles; k++)
			if (&m.files[k]->src == src)
				f = m.files[k];
		assert_int_equal(m.facts.scopes[f->scope].place,
				 cases[i].place);
		assert_int_equal(def(&m, cases[i].path, "K")->place,
				 cases[i].place);
	}
	cg_model_release(&m);
}

/* A compose env_file named like an example file reads as an example file,
 * whichever loader reached it first; a `.env` value may be empty. */
/* Entries commented out in an example file are DOC rows at their name;
 * a comment that is prose, or in a file that is not an example, is not. */
static void test_envfile__commented_out_entries(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM(".env.example", "# the cache\n"			 /* 1 */
				"# CACHE_TTL=60\n"		 /* 2 */
				"#export  TRACE=1\n"		 /* 3 */
				"  ## OLD_NAME=\n"		 /* 4 */
				"# Example: NOT_ONE=1\n"	 /* 5 */
				"# lower_case=x\n"		 /* 6 */
				"LIVE=1  # HIDDEN_IN_TAIL=2\n"), /* 7 */
	    MEM(".env", "# NOT_DOC=1\n"),
	};
	static const struct {
		const char *name;
		unsigned line, col;
	} want[] = {
	    {"CACHE_TTL", 2, 3},
	    {"TRACE", 3, 10},
	    {"OLD_NAME", 4, 6},
	    {"lower_case", 6, 3},
	};
	struct cg_model m;
	size_t ndoc = 0, scope = CG_NO_SCOPE;

	(void)state;
	build(&m, files, 2);
	for (size_t i = 0; i < m.facts.nenv; i++) {
		const struct cg_env_fact *e = &m.facts.env[i];

		if (e->role != CG_ENV_DOC)
			continue;
		assert_true(ndoc < sizeof(want) / sizeof(*want));
		assert_string_equal(e->name, want[ndoc].name);
		assert_string_equal(e->src->path, ".env.example");
		assert_int_equal(e->place, CG_PLACE_ENV_EXAMPLE);
		assert_int_equal(e->pos.line, want[ndoc].line);
		assert_int_equal(e->pos.col, want[ndoc].col);
		assert_null(e->value);
		scope = e->scope;
		ndoc++;
	}
	assert_int_equal(ndoc, sizeof(want) / sizeof(*want));
	/* a DOC row is no definition: lookups never see it */
	assert_null(cg_env_lookup(&m, scope, "CACHE_TTL"));
	assert_non_null(cg_env_lookup(&m, scope, "LIVE"));
	cg_model_release(&m);
}

static void test_envfile__compose_env_file_place(void **state)
{
	static const struct cg_mem_file files[] = {
	    MEM("z/compose.yaml",
		"services:\n"
		"  a:\n"
		"    image: x\n"
		"    env_file: [../.env.example, ../.env, x.env]\n"),
	    MEM(".env.example", "A=\n"),
	    MEM(".env", "B=\n"),
	    MEM("z/x.env", "C=1\n"),
	};
	struct cg_model m;
	const struct cg_env_fact *e;

	(void)state;
	build(&m, files, 4);
	assert_int_equal(m.nfiles, 4);
	assert_int_equal(def(&m, ".env.example", "A")->place,
			 CG_PLACE_ENV_EXAMPLE);
	e = def(&m, ".env", "B");
	assert_int_equal(e->place, CG_PLACE_DOTENV);
	assert_string_equal(e->value, "");
	assert_int_equal(e->value_kind, CG_VALUE_LITERAL);
	assert_int_equal(def(&m, "z/x.env", "C")->place, CG_PLACE_DOTENV);
	cg_model_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_envfile__example_entries),
	    cmocka_unit_test(test_envfile__required_marker),
	    cmocka_unit_test(test_envfile__names_and_places),
	    cmocka_unit_test(test_envfile__commented_out_entries),
	    cmocka_unit_test(test_envfile__compose_env_file_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
