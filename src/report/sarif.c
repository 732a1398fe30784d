/*
 * --format sarif: SARIF 2.1.0 for GitHub code scanning. One run; every
 * registered rule goes into tool.driver.rules so a result can name its rule
 * by index, and each result carries the baseline fingerprint as
 * partialFingerprints["ciguard/v1"]. Positions are clamped to what the schema
 * allows (lines and columns >= 1, the end not before the start); columns are
 * code points, which the run declares with columnKind.
 */
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report/shared.h"
#include "core/banned.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define INFORMATION_URI "https://github.com/ciguard/ciguard"

static const char *level_name(enum cg_severity s)
{
	return s == CG_SEV_OFF ? "none" : cg_severity_name(s);
}

/* {"text": s} */
static json_t *text_json(const char *s)
{
	json_t *o = json_object();

	if (o && json_object_set_new(o, "text", cg_json_string(s))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *rule_json(const struct cg_report_rule *r)
{
	const char *summary = r->summary ? r->summary : r->id;
	const char *help = r->help ? r->help : summary;
	json_t *o = json_object(), *config = json_object();
	int bad = !o || !config;

	if (bad)
		goto out;
	bad |= json_object_set_new(config, "level",
				   json_string(level_name(r->level)));
	bad |= json_object_set_new(o, "id", cg_json_string(r->id));
	bad |= json_object_set_new(o, "name", cg_json_string(r->id));
	bad |= json_object_set_new(o, "shortDescription", text_json(summary));
	bad |= json_object_set_new(o, "fullDescription", text_json(summary));
	bad |= json_object_set_new(o, "help", text_json(help));
	bad |= json_object_set(o, "defaultConfiguration", config);
out:
	json_decref(config);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * A relative URI reference for a '/'-separated path: everything but
 * unreserved characters, '/' and the sub-delimiters is percent-encoded. ':'
 * is encoded too, or "a:b.yml" would read as a URI with scheme "a".
 */
static json_t *uri_json(const char *path)
{
	static const char keep[] = "-._~/!$&'()*+,;=@";
	struct cg_buf b = CG_BUF_INIT;
	json_t *j;

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(keep, *p))
			cg_buf_addch(&b, *p);
		else
			cg_buf_addf(&b, "%%%02X", *p);
	}
	j = json_stringn(b.buf, b.len);
	cg_buf_release(&b);
	return j;
}

static json_t *region_json(const struct cg_pos *pos)
{
	json_int_t line = pos->line, col = pos->col ? pos->col : 1;
	json_int_t end_line = pos->end_line, end_col = pos->end_col;
	json_t *o = json_object();
	int bad = !o;

	if (bad)
		goto out;
	bad |= json_object_set_new(o, "startLine", json_integer(line));
	bad |= json_object_set_new(o, "startColumn", json_integer(col));
	if (end_line) {
		if (end_line < line) {
			end_line = line;
			end_col = col;
		}
		if (end_line == line && end_col < col)
			end_col = col;
		if (end_col < 1)
			end_col = 1;
		bad |=
		    json_object_set_new(o, "endLine", json_integer(end_line));
		bad |=
		    json_object_set_new(o, "endColumn", json_integer(end_col));
	}
out:
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *location_json(const struct cg_diag *d)
{
	json_t *loc = json_object(), *phys = json_object();
	json_t *artifact = json_object();
	int bad = !loc || !phys || !artifact;

	if (bad)
		goto out;
	bad |= json_object_set_new(artifact, "uri", uri_json(d->path));
	bad |= json_object_set_new(artifact, "uriBaseId",
				   json_string("%SRCROOT%"));
	bad |= json_object_set(phys, "artifactLocation", artifact);
	/* line 0: the finding is about the whole file */
	if (d->pos.line)
		bad |=
		    json_object_set_new(phys, "region", region_json(&d->pos));
	bad |= json_object_set(loc, "physicalLocation", phys);
out:
	json_decref(artifact);
	json_decref(phys);
	if (bad) {
		json_decref(loc);
		return NULL;
	}
	return loc;
}

static json_t *result_json(const struct cg_diag *d,
			   const struct cg_report_input *in)
{
	json_t *o = json_object(), *locations = json_array();
	json_t *fingerprints = json_object();
	char *text = NULL;
	int bad = !o || !locations || !fingerprints;

	if (bad)
		goto out;
	bad |= json_object_set_new(o, "ruleId", cg_json_string(d->rule));
	for (size_t i = 0; i < in->nrules; i++) {
		if (cg_str_eq(in->rules[i].id, d->rule)) {
			bad |= json_object_set_new(o, "ruleIndex",
						   json_integer((json_int_t)i));
			break;
		}
	}
	bad |= json_object_set_new(o, "level",
				   json_string(level_name(d->severity)));
	text = d->hint ? cg_xasprintf("%s\n%s", d->message, d->hint)
		       : cg_xstrdup(d->message);
	bad |= json_object_set_new(o, "message", text_json(text));
	bad |= json_array_append_new(locations, location_json(d));
	bad |= json_object_set(o, "locations", locations);
	if (d->fingerprint[0]) {
		bad |= json_object_set_new(fingerprints, "ciguard/v1",
					   cg_json_string(d->fingerprint));
		bad |= json_object_set(o, "partialFingerprints", fingerprints);
	}
out:
	free(text);
	json_decref(locations);
	json_decref(fingerprints);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *driver_json(const struct cg_report_input *in)
{
	json_t *driver = json_object(), *rules = json_array();
	int bad = !driver || !rules;

	if (bad)
		goto out;
	bad |= json_object_set_new(driver, "name", json_string("ciguard"));
	bad |= json_object_set_new(driver, "version",
				   json_string(CIGUARD_VERSION));
	bad |= json_object_set_new(driver, "informationUri",
				   json_string(INFORMATION_URI));
	for (size_t i = 0; i < in->nrules; i++)
		bad |= json_array_append_new(rules, rule_json(&in->rules[i]));
	bad |= json_object_set(driver, "rules", rules);
out:
	json_decref(rules);
	if (bad) {
		json_decref(driver);
		return NULL;
	}
	return driver;
}

static json_t *sarif_json(const struct cg_report_input *in)
{
	json_t *root = json_object(), *runs = json_array();
	json_t *run = json_object(), *tool = json_object();
	json_t *results = json_array();
	int bad = !root || !runs || !run || !tool || !results;

	if (bad)
		goto out;
	bad |= json_object_set_new(tool, "driver", driver_json(in));
	for (size_t i = 0; i < in->diags->n; i++) {
		const struct cg_diag *d = &in->diags->items[i];

		if (cg_report_shown(d))
			bad |=
			    json_array_append_new(results, result_json(d, in));
	}
	bad |= json_object_set(run, "tool", tool);
	bad |= json_object_set_new(run, "columnKind",
				   json_string("unicodeCodePoints"));
	bad |= json_object_set(run, "results", results);
	bad |= json_array_append(runs, run);

	bad |= json_object_set_new(root, "$schema", json_string(SARIF_SCHEMA));
	bad |= json_object_set_new(root, "version", json_string("2.1.0"));
	bad |= json_object_set(root, "runs", runs);
out:
	json_decref(runs);
	json_decref(run);
	json_decref(tool);
	json_decref(results);
	if (bad) {
		json_decref(root);
		return NULL;
	}
	return root;
}

int cg_report_sarif(FILE *out, const struct cg_report_input *in)
{
	json_t *root = sarif_json(in);
	int err = cg_json_dump(out, root);

	json_decref(root);
	return err;
}
