/*
 * One option parser for every subcommand [git's parse-options, in small]:
 * a command describes its options once, in a table, and the same table
 * parses argv and prints the option list of its --help.
 *
 * Accepted, in any order with the positional arguments:
 *   --name, --name=VALUE, --name VALUE (the next argument is the value,
 *   whatever it looks like), -s, -sVALUE, -s VALUE;
 *   -h and --help anywhere before "--": the usage is printed on stdout
 *   instead of running the command (even after a bad option);
 *   "--" ends the options: cli_next answers CLI_DASHDASH once (wait and
 *   slots run take the rest as COMMAND) and every later argument as
 *   CLI_ARG;
 *   "-" alone is a positional argument.
 * Errors (an unknown option, a missing value, a value given to a flag)
 * print one line on stderr, `ciguard: CMD: unknown option '--x' (see
 * 'ciguard CMD --help')`, and cli_next answers CLI_ERROR: the command
 * exits 2.
 */
#ifndef CG_CLI_OPT_H
#define CG_CLI_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct cli_opt {
	const char *name;  /* long name without the dashes: "timeout" */
	char short_name;   /* 'q' for -q; 0 for none */
	const char *value; /* the value's name in --help ("FILE"); NULL for
			      a flag, which takes no value */
	const char *help;  /* '\n' starts a continuation line */
	int id;		   /* what cli_next answers for it; >= 0 */
};

/* What a command's --help prints: head, the option list, tail. */
struct cli_spec {
	const char *cmd;  /* "check": the name in messages */
	const char *head; /* "usage: ..." and the description, up to and
			     including the blank line before "options:" */
	const struct cli_opt *opts;
	size_t nopts;
	int column;	  /* where the help texts start; 0: two columns past the
			     longest option */
	const char *tail; /* after the option list (from its blank line), or
			     NULL */
};

enum {
	CLI_END = -1,	   /* no more arguments */
	CLI_ARG = -2,	   /* a positional argument, in p->arg */
	CLI_DASHDASH = -3, /* "--": p->rest holds the p->nrest after it */
	CLI_HELP = -4,	   /* -h/--help: the usage is printed; exit 0 */
	CLI_ERROR = -5,	   /* the message is printed; exit 2 */
};

struct cli_parser {
	const struct cli_spec *spec;
	const char *cmd; /* the prefix of messages: spec->cmd, or e.g.
			    "slots run" when the caller sets it */
	int argc;
	char **argv;
	int i;	       /* the next argument */
	bool dashdash; /* "--" seen: the rest are positional */
	bool scanned;  /* -h/--help looked for */
	/* after an option: its value (NULL for a flag) and its long name
	 * as "--name", for messages */
	const char *value;
	char name[40];
	/* after CLI_ARG: the argument */
	const char *arg;
	/* after CLI_DASHDASH: what follows "--" (NULL-terminated when argv
	 * is, as main's is) */
	char **rest;
	int nrest;
};

/* Parse argv[1..argc) (argv[0] is the command's name). */
void cli_parser_init(struct cli_parser *p, const struct cli_spec *spec,
		     int argc, char **argv);
/* The next option's id, or one of CLI_END ... CLI_ERROR above. */
int cli_next(struct cli_parser *p);

/* The whole --help text of `spec`. */
void cli_usage(FILE *out, const struct cli_spec *spec);

#endif
