/*
 * The option parser of every subcommand (see opt.h). cli_next walks argv
 * once, left to right; before the first step it looks for -h/--help (up to
 * "--", stepping over the values of options that take one) so that help
 * wins over a bad option, as it did when each command scanned for it.
 */
#include <string.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "core/banned.h"

void cli_parser_init(struct cli_parser *p, const struct cli_spec *spec,
		     int argc, char **argv)
{
	memset(p, 0, sizeof(*p));
	p->spec = spec;
	p->cmd = spec->cmd;
	p->argc = argc;
	p->argv = argv;
	p->i = 1;
}

static const struct cli_opt *find_long(const struct cli_spec *s,
				       const char *name, size_t len)
{
	for (size_t k = 0; k < s->nopts; k++)
		if (strlen(s->opts[k].name) == len &&
		    !strncmp(s->opts[k].name, name, len))
			return &s->opts[k];
	return NULL;
}

static const struct cli_opt *find_short(const struct cli_spec *s, char c)
{
	for (size_t k = 0; k < s->nopts; k++)
		if (s->opts[k].short_name && s->opts[k].short_name == c)
			return &s->opts[k];
	return NULL;
}

/* Is -h or --help among the options (before "--", not as a value)? */
static bool wants_help(const struct cli_parser *p)
{
	for (int i = 1; i < p->argc; i++) {
		const char *a = p->argv[i];
		const struct cli_opt *o = NULL;

		if (!strcmp(a, "--"))
			return false;
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return true;
		if (a[0] != '-' || !a[1])
			continue;
		if (a[1] == '-') {
			if (!strchr(a, '='))
				o = find_long(p->spec, a + 2, strlen(a + 2));
		} else if (!a[2]) {
			o = find_short(p->spec, a[1]);
		}
		if (o && o->value)
			i++; /* its value, whatever it looks like */
	}
	return false;
}

static int unknown(struct cli_parser *p, const char *shown, size_t len)
{
	cli_fail("%s: unknown option '%.*s' (see 'ciguard %s --help')", p->cmd,
		 (int)len, shown, p->spec->cmd);
	return CLI_ERROR;
}

static int take(struct cli_parser *p, const struct cli_opt *o,
		const char *attached)
{
	snprintf(p->name, sizeof(p->name), "--%s", o->name);
	if (!o->value) {
		if (attached) {
			cli_fail("%s: %s takes no value", p->cmd, p->name);
			return CLI_ERROR;
		}
		return o->id;
	}
	if (attached) {
		p->value = attached;
	} else if (p->i < p->argc) {
		p->value = p->argv[p->i++];
	} else {
		cli_fail("%s: %s needs a value", p->cmd, p->name);
		return CLI_ERROR;
	}
	return o->id;
}

int cli_next(struct cli_parser *p)
{
	const struct cli_opt *o;
	const char *a;

	if (!p->scanned) {
		p->scanned = true;
		if (wants_help(p)) {
			cli_usage(stdout, p->spec);
			return CLI_HELP;
		}
	}
	p->value = NULL;
	p->arg = NULL;
	p->name[0] = '\0';
	if (p->i >= p->argc)
		return CLI_END;
	a = p->argv[p->i++];
	if (p->dashdash || a[0] != '-' || !a[1]) {
		p->arg = a;
		return CLI_ARG;
	}
	if (!strcmp(a, "--")) {
		p->dashdash = true;
		p->rest = p->argv + p->i;
		p->nrest = p->argc - p->i;
		return CLI_DASHDASH;
	}
	if (a[1] == '-') {
		const char *eq = strchr(a + 2, '=');
		size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);

		if (!(o = find_long(p->spec, a + 2, len)))
			return unknown(p, a, len + 2);
		return take(p, o, eq ? eq + 1 : NULL);
	}
	/* -s, -sVALUE, -s VALUE; no bundles of flags (-qj) */
	o = find_short(p->spec, a[1]);
	if (!o || (!o->value && a[2]))
		return unknown(p, a, strlen(a));
	return take(p, o, a[2] ? a + 2 : NULL);
}

/* "  -s, --name VALUE" */
static size_t left_len(const struct cli_opt *o)
{
	return 2 + (o->short_name ? 4 : 0) + 2 + strlen(o->name) +
	       (o->value ? 1 + strlen(o->value) : 0);
}

static void print_option(FILE *out, const char *left, size_t len,
			 const char *help, size_t column)
{
	const char *line = help;

	fputs(left, out);
	if (len + 2 > column) {
		fputc('\n', out);
		len = 0;
	}
	for (;;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		fprintf(out, "%*s%.*s\n", (int)(column - len), "", (int)n,
			line);
		if (!nl)
			break;
		line = nl + 1;
		len = 0;
	}
}

void cli_usage(FILE *out, const struct cli_spec *s)
{
	static const char help_left[] = "  -h, --help";
	size_t column = s->column > 0 ? (size_t)s->column : 0;

	if (!column) {
		column = strlen(help_left) + 2;
		for (size_t k = 0; k < s->nopts; k++)
			if (left_len(&s->opts[k]) + 2 > column)
				column = left_len(&s->opts[k]) + 2;
	}
	fputs(s->head, out);
	fputs("options:\n", out);
	for (size_t k = 0; k < s->nopts; k++) {
		const struct cli_opt *o = &s->opts[k];
		char left[128];
		const char *sp = o->value ? " " : "";
		const char *value = o->value ? o->value : "";

		if (o->short_name)
			snprintf(left, sizeof(left), "  -%c, --%s%s%s",
				 o->short_name, o->name, sp, value);
		else
			snprintf(left, sizeof(left), "  --%s%s%s", o->name, sp,
				 value);
		print_option(out, left, left_len(o), o->help, column);
	}
	print_option(out, help_left, strlen(help_left), "show this help",
		     column);
	if (s->tail)
		fputs(s->tail, out);
	fflush(out);
}
