/*
 * Shell option flags, read once for every place that names them: a GitHub
 * `shell:` template (`bash --noprofile --norc -eo pipefail {0}`), a shell a
 * script starts (`bash -ec '...'`, `sh -e <<EOF`), and the `set` and
 * `shopt` builtins (`set -euxo pipefail`, `set +e`, `shopt -so pipefail`).
 *
 * The words are read the way bash 5 reads them (each case was run; see
 * tests/unit/model/test_shellopts.c):
 *   - a cluster is read letter by letter, `-` turning on and `+` off; each
 *     `o` (and on a command line each `O`) takes the next word as an option
 *     name, in order: `-oe pipefail`, `-oo pipefail errexit`;
 *   - later words win: `bash -e +e` runs without -e;
 *   - on a command line the name after -o is taken whatever it looks like
 *     (`bash -o -c` names an option "-c"); `set -o -e` prints the options
 *     and reads -e as a flag;
 *   - `-c` (even `+c`) is a flag: the script text is the first operand,
 *     wherever -c was (`bash -c -e 'x'` has -e); `--` and `-` end the
 *     options, a lone `+` does nothing;
 *   - `--rcfile FILE` and `--init-file FILE` take a word; other long
 *     options (`--norc`, `--login`) none;
 *   - shopt's flags come first; `-s` sets and `-u` unsets, and without
 *     either shopt only prints; `-o` makes the names `set -o` options.
 */
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "core/banned.h"

/* `bash -c`, `ksh -c`, ...: shells whose scripts we read */
static const char *const posix_shells[] = {"sh",  "bash", "dash",
					   "zsh", "ksh",  "ash"};

bool cg_posix_shell_name(const char *word, bool *dash)
{
	const char *name = cg_path_base(word);
	size_t n = strlen(name);

	/* each name is 2 to 4 bytes ending in "sh": most words are none */
	if (n < 2 || n > 4 || name[n - 2] != 's' || name[n - 1] != 'h') {
		if (dash)
			*dash = false;
		return false;
	}
	if (dash)
		*dash = !strcmp(name, "sh") || !strcmp(name, "dash");
	for (size_t i = 0; i < sizeof(posix_shells) / sizeof(*posix_shells);
	     i++)
		if (!strcmp(name, posix_shells[i]))
			return true;
	if (dash)
		*dash = false;
	return false;
}

/* `set -o NAME` / `shopt -o NAME` option, or shopt's own (`-O NAME`) */
static void set_named(struct cg_shell_flags *out, const char *name, bool shopt,
		      enum cg_opt state)
{
	if (shopt) {
		if (!strcmp(name, "inherit_errexit"))
			out->inherit_errexit = state;
	} else if (!strcmp(name, "errexit")) {
		out->errexit = state;
	} else if (!strcmp(name, "pipefail")) {
		out->pipefail = state;
	} else if (!strcmp(name, "errtrace")) {
		out->errtrace = state;
	}
}

/* The words bash reads as option names after a cluster: one per `o`/`O`. */
#define MAX_PENDING 8

struct pending {
	bool shopt[MAX_PENDING]; /* `O`: a shopt name, else a set name */
	enum cg_opt state[MAX_PENDING];
	size_t n, next;
};

/* Word i starts with `-`/`+` (or must be a name) but holds an expansion */
static bool unknown(const char *const *words, const bool *expands, size_t i,
		    bool name_due)
{
	return expands && expands[i] &&
	       (name_due || words[i][0] == '-' || words[i][0] == '+');
}

static void read_shopt(struct cg_shell_flags *out, const char *const *words,
		       const bool *expands, size_t n)
{
	enum cg_opt state = CG_OPT_KEEP;
	bool set_names = false, both = false;
	size_t i = 0;

	for (; i < n; i++) {
		const char *w = words[i];

		if (unknown(words, expands, i, false)) {
			out->unreadable = true;
			out->operand = i;
			return;
		}
		if (w[0] != '-' || !w[1])
			break;
		if (!strcmp(w, "--")) {
			i++;
			break;
		}
		for (const char *c = w + 1; *c; c++) {
			if (*c == 's' || *c == 'u') {
				enum cg_opt s =
				    *c == 's' ? CG_OPT_ON : CG_OPT_OFF;

				both |= state != CG_OPT_KEEP && state != s;
				state = s;
			} else if (*c == 'o') {
				set_names = true;
			}
		}
	}
	out->operand = i;
	/* without -s or -u shopt only prints; `shopt -s -u x` is an error */
	if (both || state == CG_OPT_KEEP)
		return;
	for (; i < n; i++) {
		if (unknown(words, expands, i, true)) {
			out->unreadable = true;
			return;
		}
		set_named(out, words[i], !set_names, state);
	}
}

void cg_shell_flags_read(struct cg_shell_flags *out, enum cg_flag_syntax syntax,
			 const char *const *words, const bool *expands,
			 size_t n)
{
	bool invoke = syntax == CG_FLAGS_INVOKE;
	struct pending p = {.n = 0};
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	if (syntax == CG_FLAGS_SHOPT) {
		read_shopt(out, words, expands, n);
		return;
	}
	for (; i < n; i++) {
		const char *w = words[i];
		enum cg_opt state;

		if (p.next < p.n) {
			if (unknown(words, expands, i, true)) {
				out->unreadable = true;
				break;
			}
			if (invoke || (w[0] != '-' && w[0] != '+')) {
				set_named(out, w, p.shopt[p.next],
					  p.state[p.next]);
				p.next++;
				continue;
			}
			/* `set -o -e`: set prints the options, then -e */
		}
		if (unknown(words, expands, i, false)) {
			out->unreadable = true;
			break;
		}
		if (w[0] != '-' && w[0] != '+')
			break; /* the first operand */
		if (!strcmp(w, "+"))
			continue; /* a no-op */
		if (!strcmp(w, "--") || !strcmp(w, "-")) {
			i++;
			break;
		}
		if (w[1] == '-') { /* --norc, --rcfile FILE, ... */
			if (invoke && (!strcmp(w, "--rcfile") ||
				       !strcmp(w, "--init-file")))
				i++;
			continue;
		}
		state = w[0] == '-' ? CG_OPT_ON : CG_OPT_OFF;
		p.n = p.next = 0; /* the names before were all taken */
		for (const char *c = w + 1; *c; c++) {
			if (*c == 'e')
				out->errexit = state;
			else if (*c == 'E')
				out->errtrace = state;
			else if (*c == 'c' && invoke)
				out->c = true; /* `bash +c` too */
			else if ((*c == 'o' || (*c == 'O' && invoke)) &&
				 p.n < MAX_PENDING) {
				p.shopt[p.n] = *c == 'O';
				p.state[p.n++] = state;
			}
		}
	}
	out->operand = i < n ? i : n;
}

void cg_shell_flags_of(struct cg_shell_flags *out, enum cg_flag_syntax syntax,
		       const struct cg_sh_cmd *cmd, size_t from)
{
	const char *stack_words[16] = {0}, **words = stack_words;
	bool stack_expands[16] = {0}, *expands = stack_expands;
	size_t n = from < cmd->nwords ? cmd->nwords - from : 0;

	if (n > 16) {
		words = cg_xcalloc(n, sizeof(*words));
		expands = cg_xcalloc(n, sizeof(*expands));
	}
	for (size_t i = 0; i < n; i++) {
		words[i] = cmd->words[from + i].text;
		expands[i] = cmd->words[from + i].expands;
	}
	cg_shell_flags_read(out, syntax, words, expands, n);
	out->operand += from;
	if (words != stack_words) {
		free(words);
		free(expands);
	}
}
