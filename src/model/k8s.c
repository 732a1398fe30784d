/*
 * Kubernetes manifests: what the workloads of a repository run in
 * production, with which env, and the Services in front of them.
 *
 * Any `*.yaml`/`*.yml` file may be a manifest, so the loader's patterns are
 * broad and most files it is offered are not its own. Three cheap tests
 * keep that cheap, before anything is parsed:
 *   - claims(): names that are never manifests (Helm `values*.yaml`,
 *     `Chart.yaml`, lock files, tool configs) are not even read;
 *   - sniff(): one pass over the text looks for top-level `apiVersion:`
 *     and `kind:` keys (column 0, as every manifest writer emits them).
 *     A file without both is passed on silently; one whose kinds are all
 *     kinds we read nothing from (CRDs, RBAC, PVCs...) too, which spares
 *     parsing the biggest YAML files of a cluster repository. A Helm
 *     template (see helm_line) of the kinds we read gets a note and is
 *     passed on: its text is not YAML until Helm renders it;
 *   - the loader has no build(): a document is a manifest when it is a
 *     mapping with scalar `apiVersion` and `kind`, which finish() sees.
 * Everything happens in finish(), once every file is parsed, because
 * manifests refer to each other across files: first the kustomizations
 * (the patches they name are skipped with a note: a strategic-merge patch
 * looks like a manifest but is a fragment; their configMapGenerator and
 * secretGenerator make ConfigMaps and Secrets), then the manifests, then
 * the references between them (envFrom, configMapKeyRef, a Service's
 * selector) by name and namespace.
 *
 * Facts made here:
 *   - a FILE scope per manifest file (place K8S, environment PRODUCTION);
 *   - a K8S_CONTAINER scope per container and init container of a
 *     Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController,
 *     Job, CronJob or Pod (or any kind with spec.template.spec.containers,
 *     such as an Argo Rollout), parent the FILE scope, with its `env`
 *     entries as DEF rows (see env_entry for the value kinds) and its
 *     `envFrom` ConfigMaps and Secrets as imports;
 *   - a process row for a container's command + args (see process);
 *   - a K8S_CONFIG scope per ConfigMap and Secret (also a SealedSecret,
 *     which becomes the Secret of its name, and a kustomize generator),
 *     its keys as DEF rows; a Secret's values are never read, kept or
 *     printed: its rows have no value, kind SECRET;
 *   - a service row per Service, with its ports and host names.
 * Kubernetes expands `$(VAR)` (and `$$` to `$`) in env values, command and
 * args; `${VAR}` and `$VAR` are text there, so values are classified here,
 * not by cg_value_classify.
 */
#include <stdlib.h>
#include <string.h>

#include "model/model_int.h"
#include "model/loader.h"
#include "core/banned.h"

/* ------------------------------------------------------ path helpers */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* The folder of `path` ("" at the root), as a new string. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? cg_xstrndup(path, (size_t)(slash - path))
		     : cg_xstrdup("");
}

/* `rel` (relative to folder `dir`) as a path relative to the root, with
 * `.` and `..` resolved; NULL when it leaves the root or is absolute. */
static char *join_path(const char *dir, const char *rel)
{
	if (rel && strstr(rel, "://"))
		return NULL;
	return cg_model_path(dir, rel);
}

static bool is_kustomization_name(const char *path)
{
	const char *b = base_name(path);

	return !strcmp(b, "kustomization.yaml") ||
	       !strcmp(b, "kustomization.yml") || !strcmp(b, "Kustomization");
}

/* ------------------------------------------------- claims and sniff */

/*
 * Names that are never manifests, so not worth reading: Helm chart
 * metadata and values (plain YAML a template reads, never applied), lock
 * files, and the configs of common tools.
 */
static bool claims(const char *path)
{
	static const char *const never[] = {"Chart.yaml",
					    "Chart.yml",
					    "Chart.lock",
					    "pnpm-lock.yaml",
					    ".pre-commit-config.yaml",
					    ".pre-commit-hooks.yaml",
					    "mkdocs.yml",
					    "mkdocs.yaml",
					    ".readthedocs.yaml",
					    ".readthedocs.yml",
					    ".golangci.yml",
					    ".golangci.yaml",
					    "codecov.yml",
					    ".codecov.yml",
					    "dependabot.yml",
					    ".yamllint.yml",
					    ".yamllint.yaml",
					    NULL};
	const char *b = base_name(path);

	for (size_t i = 0; never[i]; i++)
		if (!strcmp(b, never[i]))
			return false;
	/* values.yaml, values-dev.yaml, values.prod.yml, values_x.yaml */
	if (!strncmp(b, "values", 6) &&
	    (b[6] == '.' || b[6] == '-' || b[6] == '_'))
		return false;
	return !cg_starts_with(path, ".github/");
}

/* Kinds that carry nothing this loader reads: a file of only these is
 * passed on without being parsed. */
static bool kind_is_uninteresting(const char *k, size_t n)
{
	static const char *const kinds[] = {
	    "CustomResourceDefinition",
	    "Namespace",
	    "ServiceAccount",
	    "Role",
	    "ClusterRole",
	    "RoleBinding",
	    "ClusterRoleBinding",
	    "PersistentVolume",
	    "PersistentVolumeClaim",
	    "StorageClass",
	    "Ingress",
	    "IngressClass",
	    "NetworkPolicy",
	    "PodDisruptionBudget",
	    "HorizontalPodAutoscaler",
	    "VerticalPodAutoscaler",
	    "PriorityClass",
	    "LimitRange",
	    "ResourceQuota",
	    "ValidatingWebhookConfiguration",
	    "MutatingWebhookConfiguration",
	    "APIService",
	    "Certificate",
	    "Issuer",
	    "ClusterIssuer",
	    "ServiceMonitor",
	    "PodMonitor",
	    "PrometheusRule",
	    "Gateway",
	    "HTTPRoute",
	    "VirtualService",
	    "DestinationRule",
	    NULL,
	};

	for (size_t i = 0; kinds[i]; i++)
		if (strlen(kinds[i]) == n && !memcmp(kinds[i], k, n))
			return true;
	return false;
}

/* A top-level key `name` (maybe quoted) at the start of line [p, end),
 * followed by `:`; the value's start in *value. */
static bool top_key(const char *p, const char *end, const char *name,
		    const char **value)
{
	size_t n = strlen(name);
	char q = 0;

	if (p < end && (*p == '"' || *p == '\'')) {
		q = *p;
		p++;
	}
	if ((size_t)(end - p) < n || memcmp(p, name, n))
		return false;
	p += n;
	if (q) {
		if (p >= end || *p != q)
			return false;
		p++;
	}
	while (p < end && *p == ' ')
		p++;
	if (p >= end || *p != ':')
		return false;
	p++;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	*value = p;
	return true;
}

static const char *memfind(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	for (; p && (size_t)(end - p) >= n;
	     p = memchr(p + 1, s[0], (size_t)(end - p - 1))) {
		if (*p == s[0] && !memcmp(p, s, n))
			return p;
		if (end - p <= 1)
			break;
	}
	return NULL;
}

/*
 * Helm markup on line [p, end) with `indent` blanks before `content`: a
 * value or an item that starts with `{{` (a plain YAML value cannot start
 * with `{{` in a real manifest: it would be a flow mapping), a line that
 * is only a template action (`{{- if .Values.x }}`), or a template that
 * reads Helm's own objects (`.Values`, `.Release`, `.Chart`,
 * `.Capabilities`, `include`). Other `{{ }}` text is a value a manifest may
 * well hold: Prometheus rules (`{{ $labels.instance }}`), Alertmanager or
 * Argo templates inside a ConfigMap.
 */
static bool helm_line(const char *p, const char *end, const char *content,
		      bool in_block)
{
	static const char *const objects[] = {".Values",    ".Release.",
					      ".Chart.",    ".Capabilities.",
					      "include \"", NULL};
	const char *open = memfind(p, end, "{{");

	if (!open)
		return false;
	for (size_t i = 0; objects[i]; i++)
		if (memfind(open, end, objects[i]))
			return true;
	if (in_block)
		return false;
	while (end - content >= 2 && content[0] == '-' && content[1] == ' ')
		content += 2;
	if (end - content >= 2 && content[0] == '{' && content[1] == '{')
		return true;
	return memfind(content, end, ": {{") != NULL;
}

/* Line [content, end) ends a key or an item with a block scalar header
 * (`key: |`, `- >-`, `key: |2 # comment`). */
static bool opens_block(const char *content, const char *end)
{
	const char *e = end, *h;

	/* a trailing comment: ` #` */
	for (const char *c = content; c + 1 < end; c++)
		if ((c[0] == ' ' || c[0] == '\t') && c[1] == '#') {
			e = c;
			break;
		}
	while (e > content && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	h = e;
	while (h > content &&
	       (h[-1] == '+' || h[-1] == '-' || (h[-1] >= '0' && h[-1] <= '9')))
		h--;
	if (h == content || (h[-1] != '|' && h[-1] != '>'))
		return false;
	h--;
	return h == content || (h - content >= 2 && h[-1] == ' ' &&
				(h[-2] == ':' || h[-2] == '-'));
}

/* The file lies in the `templates/` folder of a Helm chart: a folder
 * with a Chart.yaml holds it. */
static bool in_chart_templates(const struct cg_model *m, const char *path)
{
	const char *p = path;

	while ((p = strstr(p, "templates/"))) {
		if (p == path || p[-1] == '/') {
			size_t n = p == path ? 0 : (size_t)(p - path - 1);
			char *chart =
			    n ? cg_xasprintf("%.*s/Chart.yaml", (int)n, path)
			      : cg_xstrdup("Chart.yaml");
			bool yes = cg_model_has_path(m, chart);

			free(chart);
			if (yes)
				return true;
		}
		p += 10;
	}
	return false;
}

/*
 * One pass over the text: top-level apiVersion and kind keys (and whether
 * some kind is one we read), and Helm markup outside block scalars.
 */
static bool sniff(const struct cg_model *m, const struct cg_src *src,
		  const char **why)
{
	const char *p = src->text, *end = src->text + src->len;
	bool api = false, interesting = false, helm = false;
	bool in_block = false;
	size_t block_indent = 0;

	if (is_kustomization_name(src->path))
		return true;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end, *content = p, *v;
		size_t indent;

		while (content < le && *content == ' ')
			content++;
		indent = (size_t)(content - p);
		if (in_block) {
			bool blank = content == le ||
				     (content + 1 == le && *content == '\r');

			if (blank || indent > block_indent) {
				if (!helm)
					helm = helm_line(p, le, content, true);
				p = le + 1;
				continue;
			}
			in_block = false;
		}
		if (indent == 0 && top_key(p, le, "apiVersion", &v))
			api = true;
		else if (indent == 0 && top_key(p, le, "kind", &v)) {
			const char *k = v, *ke;

			if (k < le && (*k == '"' || *k == '\''))
				k++;
			ke = k;
			while (ke < le && *ke != ' ' && *ke != '\t' &&
			       *ke != '\r' && *ke != '#' && *ke != '"' &&
			       *ke != '\'')
				ke++;
			if (!kind_is_uninteresting(k, (size_t)(ke - k)))
				interesting = true;
		}
		if (!helm)
			helm = helm_line(p, le, content, false);
		if (opens_block(content, le)) {
			in_block = true;
			block_indent = indent;
		}
		p = le + 1;
	}
	if (!api || !interesting)
		return false;
	if (helm || in_chart_templates(m, src->path)) {
		*why = "a Helm template, skipped";
		return false;
	}
	return true;
}

/* ------------------------------------------------------ finish state */

enum config_kind {
	CONFIG_MAP,
	CONFIG_SECRET,
};

/* A ConfigMap or Secret of the repository. */
struct config {
	enum config_kind kind;
	const char *name, *ns; /* ns NULL: not given */
	const char *path;      /* the file it is in */
	size_t scope;
};

/* A prefixed view of a config scope (envFrom with `prefix:`). */
struct prefixed {
	size_t config_scope;
	const char *prefix;
	size_t scope;
};

/* A workload's pod template, for a Service's selector. */
struct workload {
	const char *ns, *path;
	const struct cg_node *labels;	  /* pod template labels, or NULL */
	const struct cg_node *containers; /* the `containers:` sequence */
	size_t *scopes; /* each container's scope (CG_NO_SCOPE: none) */
};

/* envFrom: one ConfigMap or Secret to import into a container scope. */
struct env_from {
	size_t scope;
	enum config_kind kind;
	const char *name, *ns, *prefix, *path;
};

/* A configMapKeyRef env row, resolved once every ConfigMap is known. */
struct key_ref {
	size_t env;
	const char *name, *key, *ns, *path;
};

struct service_doc {
	const struct cg_file *f;
	const struct cg_node *doc;
	const char *ns;
	size_t file_scope;
};

struct run {
	struct cg_model *m;
	struct cg_strlist patches; /* files kustomizations patch with */
	struct config *configs;
	size_t nconfigs, configs_alloc;
	struct prefixed *prefixed;
	size_t nprefixed, prefixed_alloc;
	struct workload *workloads;
	size_t nworkloads, workloads_alloc;
	struct env_from *env_from;
	size_t nenv_from, env_from_alloc;
	struct key_ref *key_refs;
	size_t nkey_refs, key_refs_alloc;
	struct service_doc *services;
	size_t nservices, services_alloc;
	/* lookups once every manifest is read (index_run): per kind, a
	 * config's name -> its first config, config_next[i] the next one of
	 * that name; a pod label "key" NUL "value" -> its first workload
	 * entry (label_of: the workload, label_next: the next entry) */
	struct cg_strmap config_by_name[CONFIG_SECRET + 1];
	size_t *config_next;
	struct cg_strmap by_label;
	char **label_keys;
	size_t *label_of, *label_next, nlabels;
};

static const char *scalar(const struct cg_node *n)
{
	return cg_node_is_scalar(n) ? n->str : NULL;
}

/* A non-empty scalar's text, else NULL. */
static const char *text_of(const struct cg_node *n)
{
	const char *s = scalar(n);

	return s && *s ? s : NULL;
}

static const char *keep(struct run *r, const char *s)
{
	return s ? cg_arena_strdup(&r->m->arena, s) : NULL;
}

static const struct cg_node *map_path(const struct cg_node *n,
				      const char *const *keys)
{
	for (; *keys && n; keys++)
		n = cg_map_get(n, *keys);
	return n;
}

/* The position of metadata.name, else the document's. */
static struct cg_pos name_pos(const struct cg_node *doc)
{
	const struct cg_node *name =
	    cg_map_get(cg_map_get(doc, "metadata"), "name");

	return name ? name->pos : doc->pos;
}

static void add_config(struct run *r, enum config_kind kind, const char *name,
		       const char *ns, const char *path, size_t scope)
{
	struct config *c;

	CG_GROW(r->configs, r->configs_alloc, r->nconfigs + 1);
	c = &r->configs[r->nconfigs++];
	c->kind = kind;
	c->name = keep(r, name);
	c->ns = keep(r, ns);
	c->path = path;
	c->scope = scope;
}

/* ------------------------------------------------------ kustomize */

static void add_patch(struct run *r, const char *dir, const char *rel)
{
	char *path;

	/* an inline patch holds YAML, not a path */
	if (!rel || strchr(rel, '\n') || strchr(rel, ':'))
		return;
	if ((path = join_path(dir, rel))) {
		cg_strlist_add(&r->patches, path);
		free(path);
	}
}

/* patchesStrategicMerge (paths), patches and patchesJson6902 ({path}). */
static void kustomize_patches(struct run *r, const struct cg_node *k,
			      const char *dir)
{
	static const char *const lists[] = {"patchesStrategicMerge", "patches",
					    "patchesJson6902", NULL};

	for (size_t l = 0; lists[l]; l++) {
		const struct cg_node *seq = cg_map_get(k, lists[l]);

		if (!seq || seq->kind != CG_NODE_SEQ)
			continue;
		for (size_t i = 0; i < seq->n; i++) {
			const struct cg_node *it = seq->items[i];

			if (it->kind == CG_NODE_MAP)
				add_patch(r, dir,
					  text_of(cg_map_get(it, "path")));
			else
				add_patch(r, dir, text_of(it));
		}
	}
}

/* An internal loader: a generator's `envs:` file read as dotenv. */
static const struct cg_loader env_file_loader = {
    .id = "k8s-generator-env",
    .format = CG_FILE_DOTENV,
    .layer = CG_LAYER_FULL,
};

static void generator_def(struct run *r, enum config_kind kind, size_t scope,
			  const char *name, const char *value,
			  const struct cg_src *src, const struct cg_pos *pos,
			  const char *config_name)
{
	struct cg_env_fact e = {0};
	char *ref = NULL;

	e.name = name;
	e.role = CG_ENV_DEF;
	e.place = CG_PLACE_K8S;
	e.scope = scope;
	e.src = src;
	e.pos = *pos;
	if (kind == CONFIG_SECRET) {
		ref = cg_xasprintf("secret/%s/%s", config_name, name);
		e.value_kind = CG_VALUE_SECRET;
		e.ref = ref;
	} else {
		e.value = value;
		e.value_kind = CG_VALUE_LITERAL;
	}
	cg_fact_env(r->m, &e);
	free(ref);
}

/*
 * configMapGenerator / secretGenerator: a ConfigMap or Secret named `name`
 * (kustomize adds a hash to the name and rewrites the references, so the
 * generator's name is what envFrom names). `literals:` KEY=VALUE and the
 * keys of `envs:` dotenv files become its keys; `files:`, `envs:` and
 * `env:` are file references.
 */
static void kustomize_generator(struct run *r, const struct cg_file *f,
				const struct cg_node *gen,
				enum config_kind kind, const char *dir,
				const char *ns, size_t file_scope)
{
	const char *name = text_of(cg_map_get(gen, "name"));
	const struct cg_node *lits = cg_map_get(gen, "literals");
	const struct cg_node *lists[3];
	size_t scope;
	struct cg_pos pos;

	if (!name || gen->kind != CG_NODE_MAP)
		return;
	if (text_of(cg_map_get(gen, "namespace")))
		ns = text_of(cg_map_get(gen, "namespace"));
	pos = cg_map_get(gen, "name")->pos;
	scope = cg_fact_scope(r->m, CG_SCOPE_K8S_CONFIG, file_scope, name,
			      &f->src, &pos);
	add_config(r, kind, name, ns, f->src.path, scope);
	if (lits && lits->kind == CG_NODE_SEQ)
		for (size_t i = 0; i < lits->n; i++) {
			const char *lit = text_of(lits->items[i]);
			const char *eq = lit ? strchr(lit, '=') : NULL;
			char *key;

			if (!eq || eq == lit)
				continue;
			key = cg_xstrndup(lit, (size_t)(eq - lit));
			generator_def(r, kind, scope, key, eq + 1, &f->src,
				      &lits->items[i]->pos, name);
			free(key);
		}
	lists[0] = cg_map_get(gen, "files");
	lists[1] = cg_map_get(gen, "envs");
	lists[2] = cg_map_get(gen, "env");
	for (size_t l = 0; l < 3; l++) {
		const struct cg_node *seq = lists[l];
		size_t n = !seq ? 0 : seq->kind == CG_NODE_SEQ ? seq->n : 1;

		for (size_t i = 0; i < n; i++) {
			const struct cg_node *it =
			    seq->kind == CG_NODE_SEQ ? seq->items[i] : seq;
			const char *rel = text_of(it), *eq;
			struct cg_file_ref ref = {0};
			struct cg_file *envf;
			char *path;

			if (!rel)
				continue;
			/* files: `key=path` names the key */
			if (l == 0 && (eq = strchr(rel, '=')))
				rel = eq + 1;
			if (!(path = join_path(dir, rel)))
				continue;
			ref.kind = CG_REF_K8S_FILE;
			ref.group = ref.item = CG_NO_GROUP;
			ref.path = path;
			ref.required = true;
			ref.src = &f->src;
			ref.pos = it->pos;
			cg_fact_file_ref(r->m, &ref);
			envf = l == 0 ? NULL
				      : cg_model_read_file(r->m, path,
							   &env_file_loader);
			if (envf && envf->loaded &&
			    envf->format == CG_FILE_DOTENV)
				for (size_t k = 0; k < envf->dotenv.n; k++) {
					const struct cg_env_entry *en =
					    &envf->dotenv.entries[k];

					generator_def(r, kind, scope, en->key,
						      en->value, &envf->src,
						      &en->key_pos, name);
				}
			free(path);
		}
	}
}

static void kustomization(struct run *r, struct cg_file *f,
			  const struct cg_node *k)
{
	static const struct cg_pos top = {1, 1, 1, 1};
	const char *ns = text_of(cg_map_get(k, "namespace"));
	char *dir = dir_of(f->src.path);
	const struct cg_node *gens[2];
	size_t scope;

	kustomize_patches(r, k, dir);
	scope = cg_fact_scope(r->m, CG_SCOPE_FILE, CG_NO_SCOPE, f->src.path,
			      &f->src, &top);
	r->m->facts.scopes[scope].place = CG_PLACE_K8S;
	r->m->facts.scopes[scope].environment = CG_ENVIRONMENT_PRODUCTION;
	f->scope = scope;
	gens[0] = cg_map_get(k, "configMapGenerator");
	gens[1] = cg_map_get(k, "secretGenerator");
	for (size_t g = 0; g < 2; g++) {
		if (!gens[g] || gens[g]->kind != CG_NODE_SEQ)
			continue;
		for (size_t i = 0; i < gens[g]->n; i++)
			kustomize_generator(r, f, gens[g]->items[i],
					    g ? CONFIG_SECRET : CONFIG_MAP, dir,
					    ns, scope);
	}
	free(dir);
}

/* The document is a kustomization: by the file's name, or its kind. */
static const struct cg_node *kustomization_doc(const struct cg_file *f)
{
	for (size_t d = 0; d < f->tree.ndocs; d++) {
		const struct cg_node *doc = f->tree.docs[d];
		const char *kind = scalar(cg_map_get(doc, "kind"));

		if (doc->kind != CG_NODE_MAP)
			continue;
		if (is_kustomization_name(f->src.path) ||
		    (kind && (!strcmp(kind, "Kustomization") ||
			      !strcmp(kind, "Component"))))
			return doc;
	}
	return NULL;
}

/* ---------------------------------------------------- ConfigMaps ... */

/*
 * A ConfigMap's `data` keys with their values (ConfigMap values are not
 * expanded: LITERAL); a Secret's `data` and `stringData` keys, and a
 * SealedSecret's `spec.encryptedData` keys, with no value (SECRET,
 * ref "secret/NAME/KEY"): the values are neither decoded nor kept.
 */
static void config_doc(struct run *r, const struct cg_file *f,
		       const struct cg_node *doc, enum config_kind kind,
		       const char *name, const char *ns, size_t file_scope)
{
	static const char *const sealed[] = {"spec", "encryptedData", NULL};
	struct cg_pos pos = name_pos(doc);
	const struct cg_node *maps[2] = {NULL, NULL};
	size_t scope = cg_fact_scope(r->m, CG_SCOPE_K8S_CONFIG, file_scope,
				     name, &f->src, &pos);

	add_config(r, kind, name, ns, f->src.path, scope);
	if (cg_scalar_eq(cg_map_get(doc, "kind"), "SealedSecret")) {
		maps[0] = map_path(doc, sealed);
	} else {
		maps[0] = cg_map_get(doc, "data");
		if (kind == CONFIG_SECRET)
			maps[1] = cg_map_get(doc, "stringData");
	}
	for (size_t k = 0; k < 2; k++) {
		const struct cg_node *data = maps[k];

		for (size_t i = 0;
		     data && data->kind == CG_NODE_MAP && i < data->n; i++) {
			const struct cg_pair *pr = &data->pairs[i];
			const char *key = text_of(pr->key);
			struct cg_env_fact e = {0};
			char *ref = NULL;

			if (!key)
				continue;
			e.name = key;
			e.role = CG_ENV_DEF;
			e.place = CG_PLACE_K8S;
			e.scope = scope;
			e.src = &f->src;
			e.pos = pr->key->pos;
			if (kind == CONFIG_SECRET) {
				ref = cg_xasprintf("secret/%s/%s", name, key);
				e.ref = ref;
				e.value_kind = CG_VALUE_SECRET;
			} else if (cg_node_is_scalar(pr->value)) {
				e.value = pr->value->str;
				e.value_pos = pr->value->pos;
				e.value_has_pos = true;
				e.value_kind = CG_VALUE_LITERAL;
			}
			cg_fact_env(r->m, &e);
			free(ref);
		}
	}
}

/* ------------------------------------------------------- containers */

static bool is_name_char(char c)
{
	return c == '_' || c == '-' || c == '.' || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * A value as Kubernetes expands it: `$(NAME)` is a reference to another
 * variable of the container, `$$` a literal `$`; nothing else expands.
 * Exactly `$(NAME)` is VARIABLE (ref NAME), text with some `$(NAME)` is
 * INTERP (there are no defaults), anything else LITERAL.
 */
static enum cg_value_kind classify(struct cg_model *m, const char *v,
				   const char **ref)
{
	size_t refs = 0;

	*ref = NULL;
	for (const char *p = v; (p = strchr(p, '$'));) {
		const char *q = p + 2;

		if (p[1] == '$') {
			p += 2;
			continue;
		}
		if (p[1] != '(') {
			p++;
			continue;
		}
		while (is_name_char(*q))
			q++;
		if (*q != ')' || q == p + 2) {
			p++;
			continue;
		}
		if (!refs++ && p == v && !q[1])
			*ref = cg_arena_strndup(&m->arena, p + 2,
						(size_t)(q - p - 2));
		p = q + 1;
	}
	if (*ref && refs == 1)
		return CG_VALUE_VARIABLE;
	*ref = NULL;
	return refs ? CG_VALUE_INTERP : CG_VALUE_LITERAL;
}

/* The literal value of the last DEF of `name` in `scope` added so far,
 * among the rows at the end of the table (a container's `env:` entries
 * come one after the other), or NULL. */
static const char *earlier_value(const struct cg_model *m, size_t scope,
				 const char *name, size_t len)
{
	for (size_t i = m->facts.nenv; i-- > 0;) {
		const struct cg_env_fact *e = &m->facts.env[i];

		if (e->scope != scope)
			return NULL;
		if (e->role == CG_ENV_DEF && !strncmp(e->name, name, len) &&
		    !e->name[len])
			return e->value_kind == CG_VALUE_LITERAL ? e->value
								 : NULL;
	}
	return NULL;
}

/*
 * `v` as the kubelet expands it, when every `$(NAME)` in it names a
 * variable that an earlier `env:` entry of the container sets to literal
 * text (Kubernetes expands references to earlier entries; `$$` is `$`):
 * `redis://$(REDIS_HOST):6379`. NULL when some reference stays unknown.
 */
static char *expand_earlier(const struct cg_model *m, size_t scope,
			    const char *v)
{
	struct cg_buf b = CG_BUF_INIT;

	for (const char *p = v; *p;) {
		const char *q = p + 2, *val;

		if (p[0] == '$' && p[1] == '$') {
			cg_buf_addch(&b, '$');
			p += 2;
			continue;
		}
		if (p[0] != '$' || p[1] != '(') {
			cg_buf_addch(&b, *p++);
			continue;
		}
		while (is_name_char(*q))
			q++;
		if (*q != ')' || q == p + 2) {
			cg_buf_addch(&b, *p++);
			continue;
		}
		if (!(val = earlier_value(m, scope, p + 2,
					  (size_t)(q - p - 2)))) {
			cg_buf_release(&b);
			return NULL;
		}
		cg_buf_addstr(&b, val);
		p = q + 1;
	}
	return cg_buf_detach(&b, NULL);
}

static void env_entry(struct run *r, const struct cg_file *f,
		      const struct cg_node *it, size_t scope, const char *ns)
{
	const struct cg_node *name = cg_map_get(it, "name");
	const struct cg_node *value = cg_map_get(it, "value");
	const struct cg_node *from = cg_map_get(it, "valueFrom");
	struct cg_env_fact e = {0};
	char *ref = NULL;
	bool key_ref = false;

	if (!text_of(name))
		return;
	e.name = name->str;
	e.role = CG_ENV_DEF;
	e.place = CG_PLACE_K8S;
	e.scope = scope;
	e.src = &f->src;
	e.pos = name->pos;
	if (cg_node_is_scalar(value)) {
		/* a YAML null is the empty string to Kubernetes */
		bool null =
		    value->style == CG_STYLE_PLAIN &&
		    (!strcmp(value->str, "null") || !strcmp(value->str, "~"));

		e.value = null ? "" : value->str;
		e.value_pos = value->pos;
		e.value_has_pos = true;
		e.value_kind = classify(r->m, e.value, &e.ref);
		if (e.value_kind == CG_VALUE_INTERP &&
		    (ref = expand_earlier(r->m, scope, e.value))) {
			e.value = ref;
			e.value_kind = CG_VALUE_LITERAL;
		}
	} else if (from && from->kind == CG_NODE_MAP) {
		const struct cg_node *sk = cg_map_get(from, "secretKeyRef");
		const struct cg_node *ck = cg_map_get(from, "configMapKeyRef");
		const struct cg_node *fr = cg_map_get(from, "fieldRef");
		const struct cg_node *rr = cg_map_get(from, "resourceFieldRef");
		const char *n, *k;

		if (sk) {
			n = text_of(cg_map_get(sk, "name"));
			k = text_of(cg_map_get(sk, "key"));
			ref = cg_xasprintf("secret/%s/%s", n ? n : "",
					   k ? k : "");
			e.value_kind = CG_VALUE_SECRET;
		} else if (ck) {
			n = text_of(cg_map_get(ck, "name"));
			k = text_of(cg_map_get(ck, "key"));
			ref = cg_xasprintf("configmap/%s/%s", n ? n : "",
					   k ? k : "");
			e.value_kind = CG_VALUE_VARIABLE;
			key_ref = n && k;
		} else if (fr || rr) {
			n = text_of(cg_map_get(fr ? fr : rr,
					       fr ? "fieldPath" : "resource"));
			ref = cg_xasprintf("%s/%s", fr ? "field" : "resource",
					   n ? n : "");
			e.value_kind = CG_VALUE_EXPRESSION;
		}
		e.ref = ref;
	} else {
		/* `- name: X` alone: Kubernetes sets X to "" */
		e.value = "";
		e.value_kind = CG_VALUE_LITERAL;
	}
	{
		size_t row = cg_fact_env(r->m, &e);

		if (key_ref) {
			struct key_ref *kr;

			CG_GROW(r->key_refs, r->key_refs_alloc,
				r->nkey_refs + 1);
			kr = &r->key_refs[r->nkey_refs++];
			kr->env = row;
			kr->name = text_of(map_path(
			    from, (const char *const[]){"configMapKeyRef",
							"name", NULL}));
			kr->key = text_of(map_path(
			    from, (const char *const[]){"configMapKeyRef",
							"key", NULL}));
			kr->ns = ns;
			kr->path = f->src.path;
		}
	}
	free(ref);
}

static void env_from_entry(struct run *r, const struct cg_file *f,
			   const struct cg_node *it, size_t scope,
			   const char *ns)
{
	const struct cg_node *cm = cg_map_get(it, "configMapRef");
	const struct cg_node *sr = cg_map_get(it, "secretRef");
	const char *name = text_of(cg_map_get(cm ? cm : sr, "name"));
	struct env_from *ef;

	if (!name)
		return;
	CG_GROW(r->env_from, r->env_from_alloc, r->nenv_from + 1);
	ef = &r->env_from[r->nenv_from++];
	ef->scope = scope;
	ef->kind = cm ? CONFIG_MAP : CONFIG_SECRET;
	ef->name = name;
	ef->ns = ns;
	ef->prefix = text_of(cg_map_get(it, "prefix"));
	ef->path = f->src.path;
}

/* Does `w` need quotes to read as one shell word? */
static bool needs_quotes(const char *w)
{
	if (!*w)
		return true;
	for (; *w; w++)
		if (!(is_name_char(*w) || strchr("/:=,+%@", *w)))
			return true;
	return false;
}

/*
 * The container's command and args as one process: argv is `command`
 * followed by `args`. With `args` alone the image's entrypoint runs them,
 * and it is not known here: argv is the args alone and the position is
 * `args:`'s value. Neither: the image's own command, no row. The command
 * text quotes words as a shell would need, on one line.
 */
static void process(struct run *r, const struct cg_file *f,
		    const struct cg_node *c, size_t scope, bool oneshot)
{
	const struct cg_node *cmd = cg_map_get(c, "command");
	const struct cg_node *args = cg_map_get(c, "args");
	const struct cg_node *lists[2] = {cmd, args};
	struct cg_process_fact p = {0};
	struct cg_buf text = CG_BUF_INIT;
	const char **argv;
	size_t n = 0;

	if (cmd && cmd->kind != CG_NODE_SEQ)
		cmd = lists[0] = NULL;
	if (args && args->kind != CG_NODE_SEQ)
		args = lists[1] = NULL;
	if ((!cmd || !cmd->n) && (!args || !args->n))
		return;
	argv = cg_xcalloc((cmd ? cmd->n : 0) + (args ? args->n : 0),
			  sizeof(*argv));
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; lists[l] && i < lists[l]->n; i++) {
			const char *w = scalar(lists[l]->items[i]);

			if (!w)
				continue;
			argv[n++] = w;
			if (text.len)
				cg_buf_addch(&text, ' ');
			if (!needs_quotes(w)) {
				cg_buf_addstr(&text, w);
				continue;
			}
			cg_buf_addch(&text, '\'');
			for (const char *c2 = w; *c2; c2++) {
				if (*c2 == '\'')
					cg_buf_addstr(&text, "'\\''");
				else
					cg_buf_addch(&text,
						     *c2 == '\n' || *c2 == '\r'
							 ? ' '
							 : *c2);
			}
			cg_buf_addch(&text, '\'');
		}
	if (n) {
		p.origin = CG_PROCESS_K8S;
		p.command = text.buf;
		p.argv = argv;
		p.argc = n;
		p.oneshot = oneshot;
		p.scope = scope;
		p.src = &f->src;
		p.pos = (cmd && cmd->n ? cmd : args)->pos;
		p.group = p.item = CG_NO_INDEX;
		cg_fact_process_started(r->m, &p);
	}
	free(argv);
	cg_buf_release(&text);
}

static size_t container(struct run *r, const struct cg_file *f,
			const struct cg_node *c, size_t file_scope,
			const char *ns, bool oneshot)
{
	const struct cg_node *name = cg_map_get(c, "name");
	const struct cg_node *env = cg_map_get(c, "env");
	const struct cg_node *from = cg_map_get(c, "envFrom");
	size_t scope;

	scope = cg_fact_scope(r->m, CG_SCOPE_K8S_CONTAINER, file_scope,
			      text_of(name) ? name->str : "", &f->src,
			      name ? &name->pos : &c->pos);
	cg_fact_scope_image(r->m, scope, text_of(cg_map_get(c, "image")));
	if (env && env->kind == CG_NODE_SEQ)
		for (size_t i = 0; i < env->n; i++)
			env_entry(r, f, env->items[i], scope, ns);
	if (from && from->kind == CG_NODE_SEQ)
		for (size_t i = 0; i < from->n; i++)
			env_from_entry(r, f, from->items[i], scope, ns);
	process(r, f, c, scope, oneshot);
	return scope;
}

/* A pod spec: its init containers (which run to completion before the
 * others start) and containers; `oneshot` for a Job's pods. */
static void pod(struct run *r, const struct cg_file *f,
		const struct cg_node *spec, const struct cg_node *labels,
		size_t file_scope, const char *ns, bool oneshot)
{
	const struct cg_node *init = cg_map_get(spec, "initContainers");
	const struct cg_node *list = cg_map_get(spec, "containers");
	struct workload w = {0};

	if (init && init->kind == CG_NODE_SEQ)
		for (size_t i = 0; i < init->n; i++)
			if (init->items[i]->kind == CG_NODE_MAP)
				container(r, f, init->items[i], file_scope, ns,
					  true);
	if (!list || list->kind != CG_NODE_SEQ || !list->n)
		return;
	w.scopes = cg_arena_alloc(&r->m->arena, list->n * sizeof(*w.scopes));
	for (size_t i = 0; i < list->n; i++)
		w.scopes[i] = list->items[i]->kind != CG_NODE_MAP
				  ? CG_NO_SCOPE
				  : container(r, f, list->items[i], file_scope,
					      ns, oneshot);
	w.ns = ns;
	w.path = f->src.path;
	w.labels = labels && labels->kind == CG_NODE_MAP ? labels : NULL;
	w.containers = list;
	CG_GROW(r->workloads, r->workloads_alloc, r->nworkloads + 1);
	r->workloads[r->nworkloads++] = w;
}

/* ---------------------------------------------------------- manifests */

static size_t file_scope_of(struct run *r, struct cg_file *f)
{
	static const struct cg_pos top = {1, 1, 1, 1};

	if (f->scope == CG_NO_SCOPE) {
		f->scope = cg_fact_scope(r->m, CG_SCOPE_FILE, CG_NO_SCOPE,
					 f->src.path, &f->src, &top);
		r->m->facts.scopes[f->scope].place = CG_PLACE_K8S;
		r->m->facts.scopes[f->scope].environment =
		    CG_ENVIRONMENT_PRODUCTION;
	}
	return f->scope;
}

static void manifest(struct run *r, struct cg_file *f,
		     const struct cg_node *doc, unsigned depth)
{
	static const char *const tmpl[] = {"spec", "template", "spec", NULL};
	static const char *const tmpl_labels[] = {"spec", "template",
						  "metadata", "labels", NULL};
	static const char *const cron[] = {"spec",     "jobTemplate", "spec",
					   "template", "spec",	      NULL};
	static const char *const cron_labels[] = {"spec", "template",
						  "metadata", "labels", NULL};
	const char *kind, *name, *ns;
	const struct cg_node *meta, *spec;

	if (doc->kind != CG_NODE_MAP || !text_of(cg_map_get(doc, "apiVersion")))
		return;
	if (!(kind = text_of(cg_map_get(doc, "kind"))))
		return;
	meta = cg_map_get(doc, "metadata");
	name = text_of(cg_map_get(meta, "name"));
	ns = text_of(cg_map_get(meta, "namespace"));
	if (!strcmp(kind, "List")) {
		const struct cg_node *items = cg_map_get(doc, "items");

		if (items && items->kind == CG_NODE_SEQ && depth < 4)
			for (size_t i = 0; i < items->n; i++)
				manifest(r, f, items->items[i], depth + 1);
		return;
	}
	if (!strcmp(kind, "ConfigMap") || !strcmp(kind, "Secret") ||
	    !strcmp(kind, "SealedSecret")) {
		if (name)
			config_doc(r, f, doc,
				   strcmp(kind, "ConfigMap") ? CONFIG_SECRET
							     : CONFIG_MAP,
				   name, ns, file_scope_of(r, f));
		return;
	}
	if (!strcmp(kind, "Service")) {
		struct service_doc *s;

		if (!name)
			return;
		CG_GROW(r->services, r->services_alloc, r->nservices + 1);
		s = &r->services[r->nservices++];
		s->f = f;
		s->doc = doc;
		s->ns = ns;
		s->file_scope = file_scope_of(r, f);
		return;
	}
	if (!strcmp(kind, "Pod")) {
		if ((spec = cg_map_get(doc, "spec")))
			pod(r, f, spec, cg_map_get(meta, "labels"),
			    file_scope_of(r, f), ns, false);
		return;
	}
	if (!strcmp(kind, "CronJob")) {
		if ((spec = map_path(doc, cron)))
			pod(r, f, spec,
			    map_path(cg_map_get(cg_map_get(doc, "spec"),
						"jobTemplate"),
				     cron_labels),
			    file_scope_of(r, f), ns, true);
		return;
	}
	/* Deployment, StatefulSet, DaemonSet, ReplicaSet,
	 * ReplicationController, Job, and any kind with a pod template */
	spec = map_path(doc, tmpl);
	if (spec && cg_map_get(spec, "containers"))
		pod(r, f, spec, map_path(doc, tmpl_labels), file_scope_of(r, f),
		    ns, !strcmp(kind, "Job"));
}

/* ---------------------------------------------------------- resolving */

static bool ns_match(const char *a, const char *b, bool *exact)
{
	*exact = (!a && !b) || (a && b && !strcmp(a, b));
	return *exact || !a || !b;
}

static bool same_dir(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
	size_t na = sa ? (size_t)(sa - a) : 0, nb = sb ? (size_t)(sb - b) : 0;

	return na == nb && !strncmp(a, b, na);
}

/* How close two files are: the same file, the same folder, elsewhere. */
static int nearness(const char *a, const char *b)
{
	return !strcmp(a, b) ? 2 : same_dir(a, b) ? 1 : 0;
}

/*
 * The ConfigMap or Secret a reference names: the same name and kind, in
 * the same namespace (a manifest without one is applied to whichever
 * namespace kubectl is given, so it matches any); an exact namespace
 * first, then the nearest file. NULL when the repository has none.
 */
static const struct config *find_config(const struct run *r,
					enum config_kind kind, const char *name,
					const char *ns, const char *path)
{
	const struct config *best = NULL;
	int best_score = -1;

	for (size_t i =
		 cg_strmap_get(&r->config_by_name[kind], name, strlen(name));
	     i != CG_NO_INDEX; i = r->config_next[i]) {
		const struct config *c = &r->configs[i];
		bool exact;
		int score;

		if (!ns_match(c->ns, ns, &exact))
			continue;
		score = (exact ? 4 : 0) + nearness(c->path, path);
		if (score > best_score) {
			best = c;
			best_score = score;
		}
	}
	return best;
}

/* The scope envFrom imports: the config's, or a copy of it whose names
 * carry `prefix` (one per config and prefix). */
static size_t import_scope(struct run *r, const struct config *c,
			   const char *prefix)
{
	struct cg_model *m = r->m;
	struct cg_scope orig;
	struct prefixed *px;
	size_t scope, n;

	if (!prefix)
		return c->scope;
	for (size_t i = 0; i < r->nprefixed; i++)
		if (r->prefixed[i].config_scope == c->scope &&
		    !strcmp(r->prefixed[i].prefix, prefix))
			return r->prefixed[i].scope;
	/* a copy: the table moves when cg_fact_scope grows it */
	orig = m->facts.scopes[c->scope];
	scope = cg_fact_scope(m, CG_SCOPE_K8S_CONFIG, orig.parent, c->name,
			      orig.src, &orig.pos);
	n = m->facts.nenv;
	for (size_t i = 0; i < n; i++) {
		struct cg_env_fact e = m->facts.env[i];
		char *name;

		if (e.scope != c->scope || e.role != CG_ENV_DEF)
			continue;
		name = cg_xasprintf("%s%s", prefix, e.name);
		e.name = name;
		e.scope = scope;
		cg_fact_env(m, &e);
		free(name);
	}
	CG_GROW(r->prefixed, r->prefixed_alloc, r->nprefixed + 1);
	px = &r->prefixed[r->nprefixed++];
	px->config_scope = c->scope;
	px->prefix = prefix;
	px->scope = scope;
	return scope;
}

static void resolve_env(struct run *r)
{
	struct cg_model *m = r->m;

	for (size_t i = 0; i < r->nenv_from; i++) {
		const struct env_from *ef = &r->env_from[i];
		const struct config *c =
		    find_config(r, ef->kind, ef->name, ef->ns, ef->path);

		if (c)
			cg_fact_scope_import(m, ef->scope,
					     import_scope(r, c, ef->prefix));
	}
	for (size_t i = 0; i < r->nkey_refs; i++) {
		const struct key_ref *kr = &r->key_refs[i];
		const struct config *c =
		    find_config(r, CONFIG_MAP, kr->name, kr->ns, kr->path);
		const struct cg_env_fact *def =
		    c ? cg_env_lookup(m, c->scope, kr->key) : NULL;
		struct cg_env_fact *e;

		/* the config's own key (a config scope imports nothing, and
		 * its file scope defines nothing) */
		if (!def || def->scope != c->scope || !def->value)
			continue;
		e = &m->facts.env[kr->env];
		e->value = def->value; /* in the arena */
		e->value_kind = CG_VALUE_LITERAL;
	}
}

/* Every key=value of `selector` is among `labels`. */
static bool selects(const struct cg_node *selector,
		    const struct cg_node *labels)
{
	if (!labels || !selector || selector->kind != CG_NODE_MAP ||
	    !selector->n)
		return false;
	for (size_t i = 0; i < selector->n; i++) {
		const char *k = scalar(selector->pairs[i].key);
		const char *v = scalar(selector->pairs[i].value);
		const char *have = k ? scalar(cg_map_get(labels, k)) : NULL;

		if (!have || !v || strcmp(have, v))
			return false;
	}
	return true;
}

/* "key" NUL "value": one key for a label, its length in *len */
static char *label_key(const char *k, const char *v, size_t *len)
{
	return cg_strmap_key2(k, strlen(k), v, strlen(v), len);
}

/* The lookups of find_config and selected, once every manifest is read.
 * Entries go in from the last, so that each chain runs in order. */
static void index_run(struct run *r)
{
	size_t n = 0;

	r->config_next = cg_xcalloc(r->nconfigs + 1, sizeof(*r->config_next));
	for (size_t i = r->nconfigs; i-- > 0;) {
		const struct config *c = &r->configs[i];

		r->config_next[i] = cg_strmap_set(&r->config_by_name[c->kind],
						  c->name, strlen(c->name), i);
	}
	for (size_t i = 0; i < r->nworkloads; i++) {
		const struct cg_node *l = r->workloads[i].labels;

		if (l && l->kind == CG_NODE_MAP)
			n += l->n;
	}
	r->label_keys = cg_xcalloc(n + 1, sizeof(*r->label_keys));
	r->label_of = cg_xcalloc(n + 1, sizeof(*r->label_of));
	r->label_next = cg_xcalloc(n + 1, sizeof(*r->label_next));
	for (size_t i = r->nworkloads; i-- > 0;) {
		const struct cg_node *l = r->workloads[i].labels;

		for (size_t p = l && l->kind == CG_NODE_MAP ? l->n : 0;
		     p-- > 0;) {
			const char *k = scalar(l->pairs[p].key);
			const char *v = scalar(l->pairs[p].value);
			size_t e = r->nlabels, len;

			if (!k || !v)
				continue;
			r->label_keys[e] = label_key(k, v, &len);
			r->label_of[e] = i;
			r->label_next[e] = cg_strmap_set(
			    &r->by_label, r->label_keys[e], len, e);
			r->nlabels++;
		}
	}
}

static const struct workload *selected(const struct run *r,
				       const struct cg_node *selector,
				       const char *ns, const char *path)
{
	const struct workload *best = NULL;
	int best_score = -1;
	const char *k, *v;
	char *key;
	size_t e, len;

	/* the workloads that have the selector's first label */
	if (!selector || selector->kind != CG_NODE_MAP || !selector->n ||
	    !(k = scalar(selector->pairs[0].key)) ||
	    !(v = scalar(selector->pairs[0].value)))
		return NULL;
	key = label_key(k, v, &len);
	e = cg_strmap_get(&r->by_label, key, len);
	free(key);
	for (; e != CG_NO_INDEX; e = r->label_next[e]) {
		const struct workload *w = &r->workloads[r->label_of[e]];
		bool exact;
		int score;

		if (!ns_match(w->ns, ns, &exact) ||
		    !selects(selector, w->labels))
			continue;
		score = (exact ? 4 : 0) + nearness(w->path, path);
		if (score > best_score) {
			best = w;
			best_score = score;
		}
	}
	return best;
}

static unsigned port_number(const struct cg_node *n)
{
	const char *s = scalar(n);
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return 0;
	v = strtoul(s, &end, 10);
	return *end || v > 65535 ? 0 : (unsigned)v;
}

/* Container `c` listens on `target`: a containerPort of that number, or
 * of that name when `target` is a name. *port gets the number. */
static bool listens(const struct cg_node *c, const struct cg_node *target,
		    unsigned *port)
{
	const struct cg_node *ports = cg_map_get(c, "ports");
	unsigned want = port_number(target);

	for (size_t k = 0; ports && ports->kind == CG_NODE_SEQ && k < ports->n;
	     k++) {
		const struct cg_node *p = ports->items[k];
		unsigned n = port_number(cg_map_get(p, "containerPort"));

		if ((want && n == want) ||
		    (!want && cg_node_is_scalar(target) &&
		     cg_scalar_eq(cg_map_get(p, "name"), target->str))) {
			*port = n;
			return true;
		}
	}
	return false;
}

/* The pod port a Service port forwards to (0 when unknown), and the
 * index of the container that listens there (else 0) in *container. */
static unsigned target_port(const struct workload *w,
			    const struct cg_node *target, unsigned port,
			    size_t *container)
{
	unsigned n = 0;

	*container = 0;
	if (!target)
		return port; /* targetPort defaults to port */
	for (size_t i = 0; w && i < w->containers->n; i++)
		if (listens(w->containers->items[i], target, &n)) {
			*container = i;
			return n;
		}
	return port_number(target);
}

/*
 * A Service: reached at its name, `name.ns`, `name.ns.svc` and
 * `name.ns.svc.cluster.local` (a Service without a namespace: `default`,
 * where kubectl puts it unless told otherwise) and its `port`; see
 * cg_port_map for what each port holds. The pods its selector picks give
 * it an image (so a kind), a scope (own_scope: their first container's)
 * and a health check (a readinessProbe).
 */
static void service(struct run *r, const struct service_doc *sd)
{
	const struct cg_node *doc = sd->doc;
	const char *name =
	    text_of(cg_map_get(cg_map_get(doc, "metadata"), "name"));
	const char *ns = sd->ns ? sd->ns : "default";
	const struct cg_node *spec = cg_map_get(doc, "spec");
	const struct cg_node *ports = cg_map_get(spec, "ports");
	const struct workload *w =
	    selected(r, cg_map_get(spec, "selector"), sd->ns, sd->f->src.path);
	struct cg_service_fact s = {0};
	struct cg_port_map *maps = NULL;
	size_t backing = 0;
	char *hosts[4];

	hosts[0] = cg_xstrdup(name);
	hosts[1] = cg_xasprintf("%s.%s", name, ns);
	hosts[2] = cg_xasprintf("%s.%s.svc", name, ns);
	hosts[3] = cg_xasprintf("%s.%s.svc.cluster.local", name, ns);
	s.name = name;
	s.hosts = (const char **)hosts;
	s.nhosts = 4;
	s.environment = CG_ENVIRONMENT_PRODUCTION;
	s.place = CG_PLACE_K8S;
	s.scope = sd->file_scope;
	s.own_scope = CG_NO_SCOPE;
	s.src = &sd->f->src;
	s.pos = name_pos(doc);
	if (ports && ports->kind == CG_NODE_SEQ) {
		maps = cg_xcalloc(ports->n + 1, sizeof(*maps));
		for (size_t i = 0; i < ports->n; i++) {
			const struct cg_node *pt = ports->items[i];
			const struct cg_node *port = cg_map_get(pt, "port");
			struct cg_port_map *pm = &maps[s.nports];
			size_t c;

			if (!port_number(port))
				continue;
			pm->container = port_number(port);
			pm->published = port_number(cg_map_get(pt, "nodePort"));
			pm->target = target_port(
			    w, cg_map_get(pt, "targetPort"), pm->container, &c);
			pm->pos = port->pos;
			if (!s.nports++)
				backing = c;
		}
	}
	/* the container behind the first port gives the image (so the
	 * kind) and the health check */
	if (w && backing < w->containers->n) {
		const struct cg_node *c = w->containers->items[backing];

		s.image = text_of(cg_map_get(c, "image"));
		s.kind = cg_service_kind_of_image(s.image);
		s.own_scope = w->scopes[backing];
		s.healthcheck = cg_map_get(c, "readinessProbe") != NULL;
	}
	s.ports = maps;
	cg_fact_service(r->m, &s);
	free(maps);
	for (size_t i = 0; i < 4; i++)
		free(hosts[i]);
}

static void run_release(struct run *r)
{
	cg_strlist_release(&r->patches);
	free(r->configs);
	free(r->prefixed);
	free(r->workloads);
	free(r->env_from);
	free(r->key_refs);
	free(r->services);
	for (size_t k = 0; k <= CONFIG_SECRET; k++)
		cg_strmap_release(&r->config_by_name[k]);
	free(r->config_next);
	cg_strmap_release(&r->by_label);
	for (size_t e = 0; e < r->nlabels; e++)
		free(r->label_keys[e]);
	free(r->label_keys);
	free(r->label_of);
	free(r->label_next);
}

static void finish(struct cg_model *m)
{
	struct run r = {0};
	size_t nfiles = m->nfiles;

	r.m = m;
	/* kustomizations first: they say which files are patches; reading
	 * a generator's env file may add to m->files, hence nfiles */
	for (size_t i = 0; i < nfiles; i++) {
		struct cg_file *f = m->files[i];
		const struct cg_node *k;

		if (f->loader != &cg_loader_k8s || !f->loaded)
			continue;
		if ((k = kustomization_doc(f)))
			kustomization(&r, f, k);
	}
	for (size_t i = 0; i < nfiles; i++) {
		struct cg_file *f = m->files[i];

		if (f->loader != &cg_loader_k8s || !f->loaded ||
		    kustomization_doc(f))
			continue;
		if (cg_strlist_has(&r.patches, f->src.path)) {
			cg_model_note(m, "%s: a Kustomize patch, skipped",
				      f->src.path);
			continue;
		}
		for (size_t d = 0; d < f->tree.ndocs; d++)
			manifest(&r, f, f->tree.docs[d], 0);
	}
	index_run(&r);
	resolve_env(&r);
	for (size_t i = 0; i < r.nservices; i++)
		service(&r, &r.services[i]);
	run_release(&r);
}

/* `**` crosses folders: any .yaml or .yml file, the root's too. */
static const char *const patterns[] = {"**.yaml", "**.yml", "**/Kustomization",
				       NULL};

const struct cg_loader cg_loader_k8s = {
    .id = "k8s",
    .patterns = patterns,
    .claims = claims,
    .sniff = sniff,
    .format = CG_FILE_YAML_MULTI,
    .layer = CG_LAYER_FULL,
    .finish = finish, /* build: none, finish reads the parsed files */
};
