/*
 * ciguard completion bash|zsh: the shell completion scripts, made from the
 * same tables as `--help` (main.c's commands, each command's cli_spec), so
 * that an option added to a command completes without anyone editing a
 * script. bash: commands, verbs (slots, hooks), options; a file after an
 * option that takes a value and elsewhere. zsh: the same with the help
 * texts (_describe, _arguments).
 */
#include <string.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "core/banned.h"

static const struct cli_spec spec = {
    .cmd = "completion",
    .head = "usage: ciguard completion bash|zsh\n"
	    "\n"
	    "Print the completion script of SHELL, made from the option "
	    "tables of\n--help. `make install` puts them where bash-completion "
	    "and zsh look;\nby hand: `source <(ciguard completion bash)`, or "
	    "save the zsh one as\n_ciguard in a folder of $fpath.\n"
	    "\n",
    .opts = NULL,
    .nopts = 0,
};

/* A value that names a file: complete file names after the option. */
static bool file_value(const char *v)
{
	return v &&
	       (strstr(v, "FILE") || strstr(v, "PATH") || strstr(v, "DIR"));
}

/* `s` on one line, inside zsh's '...' and [...]. */
static void zsh_text(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\n')
			fputc(' ', out);
		else if (*s == '\'')
			fputs("'\\''", out);
		else if (*s == '[' || *s == ']' || *s == ':' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else
			fputc(*s, out);
	}
}

static void words(FILE *out, const char *const *list)
{
	for (size_t i = 0; list && list[i]; i++)
		fprintf(out, "%s%s", i ? " " : "", list[i]);
}

static void bash(FILE *out)
{
	fputs(
	    "# bash completion for ciguard: `ciguard completion bash` made it "
	    "from the\n# option tables of --help.\n"
	    "_ciguard()\n{\n"
	    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} "
	    "prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
	    "\tlocal opts='' vals='' verbs=''\n"
	    "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	    "\t\tCOMPREPLY=($(compgen -W '",
	    out);
	for (size_t i = 0; i < cli_ncommands; i++)
		fprintf(out, "%s ", cli_commands[i].name);
	fputs("help --help --version' -- \"$cur\"))\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tcase ${COMP_WORDS[1]} in\n",
	      out);
	for (size_t i = 0; i < cli_ncommands; i++) {
		const struct cli_command *c = &cli_commands[i];
		const struct cli_spec *s = c->spec;

		fprintf(out, "\t%s)\n\t\topts='--help", c->name);
		for (size_t k = 0; s && k < s->nopts; k++) {
			fprintf(out, " --%s", s->opts[k].name);
			if (s->opts[k].short_name)
				fprintf(out, " -%c", s->opts[k].short_name);
		}
		fputs("'\n\t\tvals='", out);
		for (size_t k = 0, n = 0; s && k < s->nopts; k++) {
			if (!s->opts[k].value)
				continue;
			fprintf(out, "%s--%s", n++ ? " " : "", s->opts[k].name);
			if (s->opts[k].short_name)
				fprintf(out, " -%c", s->opts[k].short_name);
		}
		fputs("'\n\t\tverbs='", out);
		words(out, c->verbs);
		fputs("'\n\t\t;;\n", out);
	}
	fputs("\t*)\n\t\treturn\n\t\t;;\n"
	      "\tesac\n"
	      "\tcase \" $vals \" in\n"
	      "\t*\" $prev \"*)\n"
	      "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	      "\t\treturn\n"
	      "\t\t;;\n"
	      "\tesac\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	      "\telif [ \"$COMP_CWORD\" -eq 2 ] && [ -n \"$verbs\" ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$verbs\" -- \"$cur\"))\n"
	      "\telse\n"
	      "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	      "\tfi\n"
	      "}\n"
	      "complete -F _ciguard ciguard\n",
	      out);
}

static void zsh_option(FILE *out, const struct cli_opt *o)
{
	const char *action = file_value(o->value) ? "_files" : "";

	if (o->short_name) {
		fprintf(out, " \\\n\t\t\t'-%c%s[", o->short_name,
			o->value ? "+" : "");
		zsh_text(out, o->help);
		fputc(']', out);
		if (o->value)
			fprintf(out, ":%s:%s", o->value, action);
		fputc('\'', out);
	}
	fprintf(out, " \\\n\t\t\t'--%s%s[", o->name, o->value ? "=" : "");
	zsh_text(out, o->help);
	fputc(']', out);
	if (o->value)
		fprintf(out, ":%s:%s", o->value, action);
	fputc('\'', out);
}

static void zsh(FILE *out)
{
	fputs("#compdef ciguard\n"
	      "# zsh completion for ciguard: `ciguard completion zsh` made it "
	      "from the\n# option tables of --help.\n"
	      "_ciguard() {\n"
	      "\tlocal -a commands\n"
	      "\tcommands=(\n",
	      out);
	for (size_t i = 0; i < cli_ncommands; i++) {
		fprintf(out, "\t\t'%s:", cli_commands[i].name);
		zsh_text(out, cli_commands[i].summary);
		fputs("'\n", out);
	}
	fputs("\t)\n"
	      "\tif (( CURRENT == 2 )); then\n"
	      "\t\t_describe -t commands 'ciguard command' commands\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tlocal cmd=$words[2]\n"
	      "\tshift words\n"
	      "\t(( CURRENT-- ))\n"
	      "\tcase $cmd in\n",
	      out);
	for (size_t i = 0; i < cli_ncommands; i++) {
		const struct cli_command *c = &cli_commands[i];

		fprintf(out,
			"\t%s)\n\t\t_arguments -S \\\n"
			"\t\t\t'(- *)'{-h,--help}'[show the help]'",
			c->name);
		for (size_t k = 0; c->spec && k < c->spec->nopts; k++)
			zsh_option(out, &c->spec->opts[k]);
		if (c->verbs) {
			fputs(" \\\n\t\t\t'1:verb:(", out);
			words(out, c->verbs);
			fputs(")'", out);
		}
		fputs(" \\\n\t\t\t'*:file:_files'\n\t\t;;\n", out);
	}
	fputs("\tesac\n"
	      "}\n"
	      "_ciguard \"$@\"\n",
	      out);
}

int cmd_completion(int argc, char **argv)
{
	struct cli_parser p;
	const char *shell = NULL;
	int r;

	cli_parser_init(&p, &spec, argc, argv);
	while ((r = cli_next(&p)) != CLI_END) {
		if (r == CLI_HELP)
			return 0;
		if (r == CLI_ERROR)
			return 2;
		if (r != CLI_ARG || shell)
			return cli_fail(
			    "completion: expected one SHELL, bash or "
			    "zsh (see 'ciguard completion --help')");
		shell = p.arg;
	}
	if (!shell)
		return cli_fail("completion: which shell? bash or zsh (see "
				"'ciguard completion --help')");
	if (!strcmp(shell, "bash"))
		bash(stdout);
	else if (!strcmp(shell, "zsh"))
		zsh(stdout);
	else
		return cli_fail("completion: '%s' is not a shell ciguard "
				"completes: bash or zsh",
				shell);
	return 0;
}
