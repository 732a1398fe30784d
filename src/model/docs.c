/*
 * Documentation -> facts: the Markdown tables of README.md and of the .md
 * files under docs/ that document the service connectivity matrix become
 * doc-cell rows (facts.h), which matrix-doc-drift compares with the
 * derived matrix.
 *
 * A table documents the matrix when its header has a Service column
 * (`Service`, `Services`, `Dependency`, `Component`) and at least one
 * environment column: CI (`CI`, `CI (GitHub Actions)`, `GitHub Actions`,
 * `GitLab CI`), local (`Local`, `Local dev`, `Development`, `Dev`,
 * `Compose`, `docker compose`) or production (`Production`, `Prod`,
 * `Kubernetes`, `k8s`). Other tables, and other columns (`Notes`,
 * `Staging`), say nothing the repository can check.
 *
 * A cell is read as the person who wrote it meant it: `secret` or
 * `secret:NAME` is a secret; empty, `n/a`, `-`, `—`, `none` is nothing;
 * a URL, host:port or a host (`localhost:5432`, `redis:6379`,
 * `https://api.example.com`) is an endpoint; anything else (a note) is
 * unknown. Text after the endpoint (` (.env.example:8)`, which `ciguard
 * matrix` prints) is a remark.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/model_int.h"
#include "model/loader.h"
#include "model/service_vars.h"
#include "core/banned.h"

/* The header `h` folded: lower-case, runs of other characters one space,
 * trimmed ("Local Dev (compose)" -> "local dev compose"). */
static void fold(const char *h, char *out, size_t size)
{
	size_t n = 0;
	bool space = false;

	for (; *h && n + 1 < size; h++) {
		unsigned char c = (unsigned char)*h;

		if (isalnum(c)) {
			if (space && n)
				out[n++] = ' ';
			if (n + 1 < size)
				out[n++] = (char)tolower(c);
			space = false;
		} else {
			space = true;
		}
	}
	out[n] = '\0';
}

static bool word_prefix(const char *s, const char *w)
{
	size_t n = strlen(w);

	return !strncmp(s, w, n) && (s[n] == '\0' || s[n] == ' ');
}

static bool is_service_header(const char *h)
{
	char f[64];

	fold(h, f, sizeof(f));
	return !strcmp(f, "service") || !strcmp(f, "services") ||
	       !strcmp(f, "dependency") || !strcmp(f, "component") ||
	       !strcmp(f, "service name");
}

static enum cg_environment header_environment(const char *h)
{
	static const struct {
		const char *word;
		enum cg_environment e;
	} words[] = {
	    {"ci", CG_ENVIRONMENT_CI},
	    {"github actions", CG_ENVIRONMENT_CI},
	    {"gitlab ci", CG_ENVIRONMENT_CI},
	    {"gitlab", CG_ENVIRONMENT_CI},
	    {"local", CG_ENVIRONMENT_LOCAL},
	    {"local dev", CG_ENVIRONMENT_LOCAL},
	    {"local development", CG_ENVIRONMENT_LOCAL},
	    {"dev", CG_ENVIRONMENT_LOCAL},
	    {"development", CG_ENVIRONMENT_LOCAL},
	    {"compose", CG_ENVIRONMENT_LOCAL},
	    {"docker compose", CG_ENVIRONMENT_LOCAL},
	    {"production", CG_ENVIRONMENT_PRODUCTION},
	    {"prod", CG_ENVIRONMENT_PRODUCTION},
	    {"kubernetes", CG_ENVIRONMENT_PRODUCTION},
	    {"k8s", CG_ENVIRONMENT_PRODUCTION},
	};
	char f[64];

	fold(h, f, sizeof(f));
	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (word_prefix(f, words[i].word))
			return words[i].e;
	return CG_ENVIRONMENT_NONE;
}

static bool nothing_text(const char *t)
{
	static const char *const none[] = {"",
					   "-",
					   "--",
					   "\xe2\x80\x94",
					   "\xe2\x80\x93",
					   "n/a",
					   "na",
					   "none",
					   "not used",
					   "unused",
					   "no",
					   "x",
					   "\xe2\x9c\x97",
					   NULL};

	for (size_t i = 0; none[i]; i++)
		if (!strcasecmp(t, none[i]))
			return true;
	return false;
}

/* Read cell text `t` into `c` (value, host, port). */
static void read_cell(struct cg_model *m, const char *t, struct cg_doc_cell *c,
		      char **host_out)
{
	size_t n = strcspn(t, " \t(");
	char *word = cg_xstrndup(t, n);
	struct cg_svc_endpoint ep;

	*host_out = NULL;
	c->value = CG_DOC_UNKNOWN;
	if (nothing_text(t) || nothing_text(word)) {
		c->value = CG_DOC_NONE;
	} else if (!strncasecmp(word, "secret", 6) &&
		   (word[6] == '\0' || word[6] == ':' || word[6] == 's')) {
		c->value = CG_DOC_SECRET;
	} else if (!strchr(word, '$') &&
		   cg_svc_endpoint_read(m, NULL, CG_NO_SCOPE, word, false,
					&ep)) {
		/* a bare word ("redis") may be a note: a host needs a
		 * port, a scheme, a dot or to be localhost */
		if (ep.network && ep.host &&
		    (ep.port_written || ep.scheme[0] || strchr(ep.host, '.') ||
		     cg_svc_host_is_local(ep.host))) {
			c->value = CG_DOC_ENDPOINT;
			for (char *p = ep.host; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			*host_out = ep.host;
			ep.host = NULL;
			c->port = ep.port;
			c->port_implied = ep.port_implied;
			if (ep.port_written && !ep.port)
				c->value = CG_DOC_UNKNOWN;
		}
		cg_svc_endpoint_release(&ep);
	}
	if (c->value != CG_DOC_ENDPOINT) {
		free(*host_out);
		*host_out = NULL;
		c->port = 0;
	}
	free(word);
}

static void table(struct cg_model *m, struct cg_file *f,
		  const struct cg_md_table *t)
{
	const struct cg_md_row *h = &t->header;
	size_t service_col = CG_NO_INDEX, nenv = 0;
	enum cg_environment envs[CG_MD_MAX_CELLS];

	for (size_t i = 0; i < h->ncells; i++) {
		envs[i] = header_environment(h->cells[i].text);
		if (envs[i] != CG_ENVIRONMENT_NONE)
			nenv++;
		else if (service_col == CG_NO_INDEX &&
			 is_service_header(h->cells[i].text))
			service_col = i;
	}
	if (service_col == CG_NO_INDEX || !nenv)
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		const struct cg_md_row *row = &t->rows[r];

		if (service_col >= row->ncells ||
		    !*row->cells[service_col].text)
			continue;
		for (size_t i = 0; i < row->ncells && i < h->ncells; i++) {
			const struct cg_md_cell *mc = &row->cells[i];
			struct cg_doc_cell c = {0};
			char *host;

			if (envs[i] == CG_ENVIRONMENT_NONE)
				continue;
			c.service = row->cells[service_col].text;
			c.column = h->cells[i].text;
			c.environment = envs[i];
			c.text = mc->text;
			read_cell(m, mc->text, &c, &host);
			c.host = host;
			c.src = &f->src;
			c.row_pos = cg_src_pos(&f->src, row->start, row->end);
			c.pos = cg_src_pos(&f->src, mc->start,
					   mc->end > mc->start ? mc->end
							       : mc->start);
			cg_fact_doc_cell(m, &c);
			free(host);
		}
	}
}

static void build(struct cg_model *m, struct cg_file *f)
{
	for (size_t i = 0; i < f->markdown.ntables; i++)
		table(m, f, &f->markdown.tables[i]);
}

/* Cheap: a table needs a `|` and a delimiter's `-`. */
static bool sniff(const struct cg_model *m, const struct cg_src *src,
		  const char **why)
{
	(void)m;
	(void)why;
	return memchr(src->text, '|', src->len) &&
	       memchr(src->text, '-', src->len);
}

static const char *const patterns[] = {"README.md", "docs/**.md", NULL};

const struct cg_loader cg_loader_docs = {
    .id = "docs",
    .patterns = patterns,
    .sniff = sniff,
    .format = CG_FILE_MARKDOWN,
    .layer = CG_LAYER_FULL,
    .build = build,
};
