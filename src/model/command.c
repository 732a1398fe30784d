/*
 * The program a command line runs once the wrappers in front of it are
 * looked through (model.h, cg_cmd_unwrap): one answer for every rule and
 * fact that asks "what does this command run?", so `sudo -u app python
 * w.py`, `uv run --with x pytest` or `npx -y wait-on tcp:5432` mean the
 * same to all of them.
 */
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "core/banned.h"

static bool eq(const char *a, const char *b)
{
	return !strcmp(a, b);
}

bool cg_opt_listed(const char *list, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = strstr(list, w); p; p = strstr(p + 1, w))
		if (p > list && p[-1] == ' ' && p[n] == ' ')
			return true;
	return false;
}

size_t cg_cmd_skip_opts(const char *const *w, size_t n, size_t i,
			const char *with_arg)
{
	while (i < n && w[i][0] == '-' && w[i][1]) {
		if (eq(w[i], "--")) {
			i++;
			break;
		}
		if (with_arg && cg_opt_listed(with_arg, w[i]))
			i++;
		i++;
	}
	return i;
}

bool cg_word_is_assignment(const char *w)
{
	const char *eqs = strchr(w, '=');

	if (!eqs || eqs == w)
		return false;
	for (const char *p = w; p < eqs; p++)
		if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= 'a' && *p <= 'z') ||
		      (p > w && *p >= '0' && *p <= '9')))
			return false;
	return true;
}

enum cg_var_effect cg_sh_var_effect(const struct cg_sh_cmd *c, size_t i)
{
	const char *b;

	if (c->kind != CG_SH_SIMPLE || i == 0 || i >= c->nwords ||
	    c->words[i].text[0] == '-')
		return CG_VAR_NONE;
	b = c->words[0].text;
	if (!strcmp(b, "unset"))
		return CG_VAR_UNSET;
	if (!strcmp(b, "export")) {
		/* `export -n NAME` takes the export away */
		for (size_t k = 1; k < i; k++)
			if (c->words[k].text[0] == '-' &&
			    strchr(c->words[k].text, 'n'))
				return CG_VAR_UNSET;
		return CG_VAR_EXPORT;
	}
	if (strcmp(b, "declare") && strcmp(b, "typeset") && strcmp(b, "local"))
		return CG_VAR_NONE;
	/* -x exports, +x takes the export away; the last one given wins */
	for (size_t k = i - 1; k >= 1; k--) {
		const char *o = c->words[k].text;

		if ((o[0] == '-' || o[0] == '+') && strchr(o, 'x'))
			return o[0] == '-' ? CG_VAR_EXPORT : CG_VAR_UNSET;
	}
	return CG_VAR_NONE;
}

/*
 * `docker [global options] compose [options] run|exec [options] SERVICE
 * CMD`, `docker run [options] IMAGE CMD`, `docker exec [options] CONTAINER
 * CMD` (and podman, docker-compose): the index of CMD, or n when it is not
 * run in the foreground (`-d`) or there is none.
 */
static size_t docker_command(const char *const *w, size_t n, size_t i,
			     bool is_compose)
{
	static const char global[] = " --config -c --context -H --host -l "
				     "--log-level --tlscacert --tlscert "
				     "--tlskey ";
	static const char compose[] = " -f --file -p --project-name --profile "
				      "--env-file --project-directory --ansi "
				      "--parallel --progress ";
	static const char run[] =
	    " -e --env --env-file -v --volume -w --workdir --name --network "
	    "--net -u --user --entrypoint -p --publish -l --label --mount "
	    "--platform -h --hostname --add-host --cpus -m --memory "
	    "--shm-size --ulimit --device --gpus --cap-add --cap-drop "
	    "--security-opt --tmpfs --dns --link --network-alias --pull "
	    "--restart --runtime --log-driver --log-opt --ipc --pid "
	    "--cidfile --label-file -a --attach --volumes-from --group-add "
	    "--memory-swap --cpu-shares --index --health-cmd ";
	size_t j = i + 1, k;

	if (!is_compose) {
		j = cg_cmd_skip_opts(w, n, j, global);
		if (j < n && eq(w[j], "compose")) {
			is_compose = true;
			j++;
		} else if (j < n && eq(w[j], "container")) {
			j++; /* docker container run|exec */
		}
	}
	if (is_compose)
		j = cg_cmd_skip_opts(w, n, j, compose);
	if (j >= n || (!eq(w[j], "run") && !eq(w[j], "exec")))
		return n;
	for (k = j + 1; k < n && w[k][0] == '-' && w[k][1]; k++) {
		if (eq(w[k], "--"))
			break;
		if (eq(w[k], "-d") || eq(w[k], "--detach") ||
		    cg_starts_with(w[k], "--detach="))
			return n;
		if (w[k][1] != '-' && strchr(w[k] + 1, 'd') &&
		    strspn(w[k] + 1, "ditT") == strlen(w[k] + 1))
			return n; /* -itd */
	}
	j = cg_cmd_skip_opts(w, n, j + 1, run);
	return j + 1; /* past the service, image or container */
}

enum wrapper {
	W_NONE,
	W_ENV,
	W_SUDO,
	W_COMMAND,
	W_PREFIX, /* time, nohup, setsid, exec, stdbuf, nice, ... */
	W_TIMEOUT,
	W_PKG,	 /* poetry, pipenv, pdm, rye, hatch, uv: `X run` */
	W_CONDA, /* conda, micromamba, mamba: `X run` */
	W_NPX,	 /* npx, bunx, pnpx */
	W_NPM,	 /* npm, pnpm, yarn: `X exec`, `X dlx` (`npm x`) */
	W_PIPX,	 /* `pipx run` */
	W_BUNDLE,
	W_DOCKER,  /* docker, podman */
	W_COMPOSE, /* docker-compose, podman-compose */
	W_KUBECTL, /* kubectl, oc */
	W_FIND,
	W_XARGS,
	W_COVERAGE,
};

/* sorted by name (strcmp order); `opts`: the options of a W_PREFIX
 * program that take an argument (GNU coreutils, util-linux, xvfb-run) */
static const struct wrapper_name {
	const char *name;
	enum wrapper kind;
	const char *opts;
} wrappers[] = {
    {"bundle", W_BUNDLE, NULL},
    {"bunx", W_NPX, " -p --package "},
    {"command", W_COMMAND, NULL},
    {"conda", W_CONDA, NULL},
    {"coverage", W_COVERAGE, NULL},
    {"docker", W_DOCKER, NULL},
    {"docker-compose", W_COMPOSE, NULL},
    {"env", W_ENV, NULL},
    {"exec", W_PREFIX, " -a "},
    {"find", W_FIND, NULL},
    {"hatch", W_PKG, NULL},
    {"ionice", W_PREFIX,
     " -c --class -n --classdata -p --pid -P --pgid -u --uid "},
    {"kubectl", W_KUBECTL, NULL},
    {"mamba", W_CONDA, NULL},
    {"micromamba", W_CONDA, NULL},
    {"nice", W_PREFIX, " -n --adjustment "},
    {"nohup", W_PREFIX, NULL},
    {"npm", W_NPM, " -p --package -c --call -w --workspace "},
    {"npx", W_NPX, " -p --package -c --call "},
    {"oc", W_KUBECTL, NULL},
    {"pdm", W_PKG, NULL},
    {"pipenv", W_PKG, NULL},
    {"pipx", W_PIPX, " --spec --python "},
    {"pnpm", W_NPM, " --package -C --dir --filter -F "},
    {"pnpx", W_NPX, " --package "},
    {"podman", W_DOCKER, NULL},
    {"podman-compose", W_COMPOSE, NULL},
    {"poetry", W_PKG, NULL},
    {"rye", W_PKG, NULL},
    {"setsid", W_PREFIX, NULL},
    {"stdbuf", W_PREFIX, " -i --input -o --output -e --error "},
    {"sudo", W_SUDO, NULL},
    {"time", W_PREFIX, " -f --format -o --output "},
    {"timeout", W_TIMEOUT, NULL},
    {"unbuffer", W_PREFIX, NULL},
    {"uv", W_PKG, NULL},
    {"uvx", W_NPX, " --from --with -p --python --with-requirements "},
    {"xargs", W_XARGS, NULL},
    {"xvfb-run", W_PREFIX,
     " -e --error-file -f --auth-file -n --server-num -p "
     "--xauth-protocol -s --server-args -w --wait "},
    {"yarn", W_NPM, " -p --package "},
};

long cg_name_index(const void *t, size_t n, size_t size, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *a = name,
			   *b = *(const char *const *)((const char *)t +
						       mid * size);
		int d;

		/* strcmp in line: names are short and mostly differ at once */
		while (*a && *a == *b)
			a++, b++;
		d = (unsigned char)*a - (unsigned char)*b;
		if (!d)
			return (long)mid;
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static const struct wrapper_name *wrapper_of(const char *word)
{
	long i = cg_name_index(wrappers, sizeof(wrappers) / sizeof(*wrappers),
			       sizeof(*wrappers), cg_path_base(word));

	return i < 0 ? NULL : &wrappers[i];
}

size_t cg_cmd_unwrap(const char *const *w, size_t n, size_t i, unsigned flags)
{
	while (i < n) {
		const struct wrapper_name *wn = wrapper_of(w[i]);
		enum wrapper p = wn ? wn->kind : W_NONE;
		bool more = i + 1 < n;

		switch (p) {
		case W_ENV:
			i = cg_cmd_skip_opts(w, n, i + 1,
					     " -u --unset -C --chdir -S ");
			while (i < n && cg_word_is_assignment(w[i]))
				i++;
			break;
		case W_SUDO:
			i = cg_cmd_skip_opts(w, n, i + 1,
					     " -u -g -h -p -C -D -U -r -t ");
			while (i < n && cg_word_is_assignment(w[i]))
				i++;
			break;
		case W_COMMAND:
			if (more && (eq(w[i + 1], "-v") || eq(w[i + 1], "-V")))
				return n; /* prints where it is; runs nothing */
			i = cg_cmd_skip_opts(w, n, i + 1, NULL);
			break;
		case W_PREFIX:
			i = cg_cmd_skip_opts(w, n, i + 1, wn->opts);
			break;
		case W_TIMEOUT:
			i = cg_cmd_skip_opts(w, n, i + 1,
					     " -s --signal -k --kill-after ");
			i++; /* the duration */
			break;
		case W_PKG:
			if (!more || !eq(w[i + 1], "run"))
				return i;
			i = cg_cmd_skip_opts(
			    w, n, i + 2,
			    " --with --python -p --extra --group "
			    "--env -e --package --env-file "
			    "--directory --project --with-requirements ");
			break;
		case W_CONDA:
			if (!more || !eq(w[i + 1], "run"))
				return i;
			i = cg_cmd_skip_opts(w, n, i + 2,
					     " -n --name -p --prefix ");
			break;
		case W_NPX:
			if (!more)
				return i;
			i = cg_cmd_skip_opts(w, n, i + 1, wn->opts);
			break;
		case W_PIPX:
			if (!more || !eq(w[i + 1], "run"))
				return i;
			i = cg_cmd_skip_opts(w, n, i + 2, wn->opts);
			break;
		case W_NPM:
			if (!more ||
			    (!eq(w[i + 1], "exec") && !eq(w[i + 1], "dlx") &&
			     !eq(w[i + 1], "x")))
				return i;
			i = cg_cmd_skip_opts(w, n, i + 2, wn->opts);
			break;
		case W_BUNDLE:
			if (!more || !eq(w[i + 1], "exec"))
				return i;
			i += 2;
			break;
		case W_DOCKER:
		case W_COMPOSE:
			if (!(flags & CG_UNWRAP_CONTAINER))
				return i;
			i = docker_command(w, n, i, p == W_COMPOSE);
			break;
		case W_KUBECTL: {
			/* kubectl exec POD [options] -- CMD: after the `--` */
			size_t k = i + 2;

			if (!(flags & CG_UNWRAP_CONTAINER) || !more ||
			    (!eq(w[i + 1], "exec") && !eq(w[i + 1], "run") &&
			     !eq(w[i + 1], "debug")))
				return i;
			while (k < n && !eq(w[k], "--"))
				k++;
			i = k + 1;
			break;
		}
		case W_FIND: {
			/* find PATHS... -exec CMD ARGS {} ; */
			size_t k = i + 1;

			if (!(flags & CG_UNWRAP_FANOUT))
				return i;
			while (k < n && !eq(w[k], "-exec") &&
			       !eq(w[k], "-execdir"))
				k++;
			if (k >= n)
				return n;
			i = k + 1;
			break;
		}
		case W_XARGS:
			if (!(flags & CG_UNWRAP_FANOUT))
				return i;
			i = cg_cmd_skip_opts(w, n, i + 1,
					     " -n -L -P -I -d -a -s -E ");
			break;
		case W_COVERAGE: {
			static const char with_arg[] =
			    " --source --rcfile --omit --include "
			    "--data-file --concurrency --context ";

			if (!more || !eq(w[i + 1], "run"))
				return i;
			i += 2;
			while (i < n && w[i][0] == '-' && !eq(w[i], "-m")) {
				if (cg_opt_listed(with_arg, w[i]))
					i++;
				i++;
			}
			return i; /* the script, or `-m` (python -m's way) */
		}
		default:
			return i;
		}
	}
	return n;
}

size_t cg_sh_cmd_unwrap(const struct cg_sh_cmd *c, size_t from, unsigned flags)
{
	const char *small[32];
	const char **w;
	size_t n = c->nwords, i;

	if (c->kind != CG_SH_SIMPLE || from >= n)
		return n;
	/* most commands are short: no allocation for them */
	w = n <= 32 ? small : cg_xcalloc(n, sizeof(*w));
	for (size_t k = 0; k < n; k++)
		w[k] = c->words[k].text;
	i = cg_cmd_unwrap(w, n, from, flags);
	if (w != small)
		free(w);
	return i;
}
