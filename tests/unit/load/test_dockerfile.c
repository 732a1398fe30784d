/* The Dockerfile reader (src/load/dockerfile.c): stages and their ENV. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "load/load.h"

/* "stage:NAME=VALUE|..." of every ENV, stages by their index; the FROM
 * and AS of each as "#i FROM [AS name]". */
static const char *summary(const char *text)
{
	static char out[1024];
	struct cg_src src;
	struct cg_dockerfile d;
	size_t n = 0;

	cg_src_init_mem(&src, "Dockerfile", text, strlen(text));
	assert_int_equal(cg_dockerfile_load(&d, &src), 0);
	out[0] = '\0';
	for (size_t i = 0; i < d.nstages; i++) {
		const struct cg_df_stage *st = &d.stages[i];

		n += (size_t)snprintf(out + n, sizeof(out) - n, "#%zu %s%s%s|",
				      i, st->from ? st->from : "?",
				      st->name ? " AS " : "",
				      st->name ? st->name : "");
		for (size_t k = 0; k < st->nenv; k++) {
			const struct cg_df_env *e = &st->env[k];

			/* the name's span starts with the name */
			assert_true(e->name_end > e->name_start);
			assert_int_equal(text[e->name_start], e->name[0]);
			n += (size_t)snprintf(out + n, sizeof(out) - n,
					      "%s=%s|", e->name, e->value);
		}
	}
	cg_dockerfile_release(&d);
	cg_src_release(&src);
	return out;
}

static void test_dockerfile__env_forms(void **state)
{
	(void)state;
	assert_string_equal(
	    summary("FROM python:3.12-slim\n"
		    "ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1\n"
		    "ENV A=\"x y\" B='$C \\d' D=e\\ f E=\n"
		    "env LEGACY some value with  spaces  \n"),
	    "#0 python:3.12-slim|PYTHONUNBUFFERED=1|"
	    "PYTHONDONTWRITEBYTECODE=1|A=x y|B=$C \\d|D=e f|E=|"
	    "LEGACY=some value with  spaces|");
}

static void test_dockerfile__continuations(void **state)
{
	(void)state;
	/* comment and blank lines inside an instruction are dropped */
	assert_string_equal(summary("FROM alpine\n"
				    "ENV A=1 \\\n"
				    "    # a comment\n"
				    "\n"
				    "    B=2 \\\n"
				    "    C=3\n"
				    "ENV D=4\n"),
			    "#0 alpine|A=1|B=2|C=3|D=4|");
	/* `# escape=` changes the continuation character */
	assert_string_equal(summary("# escape=`\n"
				    "FROM mcr.microsoft.com/windows\n"
				    "ENV A=C:\\dir `\n"
				    "    B=2\n"),
			    "#0 mcr.microsoft.com/windows|A=C:\\dir|B=2|");
}

static void test_dockerfile__heredocs_are_not_instructions(void **state)
{
	(void)state;
	assert_string_equal(summary("FROM alpine\n"
				    "RUN <<EOF\n"
				    "ENV NOT=an instruction\n"
				    "FROM nope\n"
				    "EOF\n"
				    "COPY <<-\"END\" /etc/x\n"
				    "\tENV NOR=this\n"
				    "\tEND\n"
				    "RUN echo $((1<<2))\n"
				    "ENV YES=1\n"),
			    "#0 alpine|YES=1|");
}

static void test_dockerfile__stages(void **state)
{
	(void)state;
	assert_string_equal(
	    summary("FROM --platform=$BUILDPLATFORM python:3.12 AS Base\n"
		    "ENV A=1\n"
		    "FROM base as run\n"
		    "ENV B=2\n"
		    "FROM 0\n"),
	    "#0 python:3.12 AS base|A=1|#1 base AS run|B=2|#2 0|");
	/* ENV before any FROM belongs to no stage (docker refuses it) */
	assert_string_equal(summary("ENV A=1\nFROM x\n"), "#0 x|");
}

/* "argv|...|(shell)" of a command, or "-" when absent. */
static void command_text(char *out, size_t size, const struct cg_df_command *c)
{
	size_t n = 0;

	if (!c->text) {
		snprintf(out, size, "-");
		return;
	}
	out[0] = '\0';
	for (size_t i = 0; i < c->argc; i++)
		n += (size_t)snprintf(out + n, size - n, "%s|", c->argv[i]);
	snprintf(out + n, size - n, "%s", c->shell_form ? "(shell)" : "(exec)");
}

static void test_dockerfile__cmd_and_entrypoint(void **state)
{
	const char *text =
	    "FROM python:3.12 AS base\n"
	    "CMD [\"python\", \"-m\", \"app.worker\", \"--q=\\\"a b\\\"\"]\n"
	    "FROM base AS shell\n"
	    "ENTRYPOINT [\"/entrypoint.sh\"]\n"
	    "CMD celery -A 'app x' worker\n"
	    "FROM base\n"
	    "CMD [\"not json\",]\n";
	struct cg_src src;
	struct cg_dockerfile d;
	char buf[256];

	(void)state;
	cg_src_init_mem(&src, "Dockerfile", text, strlen(text));
	assert_int_equal(cg_dockerfile_load(&d, &src), 0);
	assert_int_equal(d.nstages, 3);
	command_text(buf, sizeof(buf), &d.stages[0].cmd);
	assert_string_equal(buf, "python|-m|app.worker|--q=\"a b\"|(exec)");
	command_text(buf, sizeof(buf), &d.stages[0].entrypoint);
	assert_string_equal(buf, "-");
	command_text(buf, sizeof(buf), &d.stages[1].entrypoint);
	assert_string_equal(buf, "/entrypoint.sh|(exec)");
	command_text(buf, sizeof(buf), &d.stages[1].cmd);
	assert_string_equal(buf, "celery|-A|app x|worker|(shell)");
	/* not a JSON array: docker runs it as a shell command, whose one
	 * word the shell unquotes */
	command_text(buf, sizeof(buf), &d.stages[2].cmd);
	assert_string_equal(buf, "[not json,]|(shell)");
	/* the span is the arguments as written */
	assert_memory_equal(text + d.stages[1].cmd.start, "celery -A",
			    strlen("celery -A"));
	cg_dockerfile_release(&d);
	cg_src_release(&src);
}

static void test_dockerfile__limits(void **state)
{
	struct cg_buf b = CG_BUF_INIT;
	struct cg_src src;
	struct cg_dockerfile d;

	(void)state;
	for (int i = 0; i < CG_DF_MAX_STAGES + 10; i++)
		cg_buf_addf(&b, "FROM s%d AS s%d\nENV A%d=1\n",
			    i > 0 ? i - 1 : 0, i, i);
	cg_src_init_mem(&src, "Dockerfile", b.buf, b.len);
	assert_int_equal(cg_dockerfile_load(&d, &src), 0);
	assert_true(d.truncated);
	assert_int_equal(d.nstages, CG_DF_MAX_STAGES);
	/* nothing after the cut goes to the last stage kept */
	assert_int_equal(d.stages[CG_DF_MAX_STAGES - 1].nenv, 1);
	cg_dockerfile_release(&d);
	cg_src_release(&src);
	cg_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dockerfile__env_forms),
	    cmocka_unit_test(test_dockerfile__continuations),
	    cmocka_unit_test(test_dockerfile__heredocs_are_not_instructions),
	    cmocka_unit_test(test_dockerfile__stages),
	    cmocka_unit_test(test_dockerfile__cmd_and_entrypoint),
	    cmocka_unit_test(test_dockerfile__limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
