#include "pull-output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pull.h"
#include "reference.h"
#include "util.h"

#define REDRAW_NS (100ull * 1000 * 1000)

int pull_options_add_insecure(struct pull_cli_options *o, const char *host, struct error *e)
{
	if (!host[0] || strchr(host, '/') || strlen(host) >= IMAGE_REF_DOMAIN_MAX)
		return error_set(
		    e, EINVAL,
		    "invalid insecure registry \"%s\": give HOST or HOST:PORT, without "
		    "a scheme or path",
		    host);
	if (o->ninsecure == PULL_INSECURE_MAX)
		return error_set(e, E2BIG, "more than %d insecure registries", PULL_INSECURE_MAX);
	o->insecure[o->ninsecure++] = host;
	return 0;
}

int pull_options_add_env(struct pull_cli_options *o, struct error *e)
{
	const char *v = getenv("LAUNCHER_INSECURE_REGISTRIES");
	char *save = NULL, *tok;

	if (!v || !v[0] || o->env_copy)
		return 0;
	o->env_copy = xstrdup(v);
	for (tok = strtok_r(o->env_copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
		if (pull_options_add_insecure(o, tok, e) < 0)
			return error_prefix(e, "LAUNCHER_INSECURE_REGISTRIES");
	return 0;
}

void pull_options_free(struct pull_cli_options *o)
{
	free(o->env_copy);
	o->env_copy = NULL;
	o->ninsecure = 0;
}

struct registry_options pull_options_registry(const struct pull_cli_options *o)
{
	return (struct registry_options){.insecure = o->insecure, .ninsecure = o->ninsecure};
}

/* ---- the display ---- */

struct line {
	char digest[STORE_DIGEST_MAX];
	enum pull_layer_state state;
	uint64_t start_ns, drawn_ns;
};

struct display {
	FILE *out;
	enum pull_output_mode mode;
	struct line *lines;
	size_t n;
};

static void human(uint64_t n, char *buf, size_t size)
{
	if (n >= 1000ull * 1000 * 1000)
		snprintf(buf, size, "%.2fGB", (double)n / 1e9);
	else if (n >= 1000 * 1000)
		snprintf(buf, size, "%.1fMB", (double)n / 1e6);
	else if (n >= 1000)
		snprintf(buf, size, "%.1fkB", (double)n / 1e3);
	else
		snprintf(buf, size, "%lluB", (unsigned long long)n);
}

static void line_text(const struct line *l, uint64_t done, uint64_t total, uint64_t now, char *buf,
		      size_t size)
{
	char a[32], b[32], rate[32];
	double secs = (double)(now - l->start_ns) / 1e9;

	switch (l->state) {
	case PULL_LAYER_WAITING:
		snprintf(buf, size, "Pulling fs layer");
		break;
	case PULL_LAYER_EXISTS:
		snprintf(buf, size, "Already exists");
		break;
	case PULL_LAYER_DOWNLOADING:
		human(done, a, sizeof(a));
		human(total, b, sizeof(b));
		human(secs > 0.05 ? (uint64_t)((double)done / secs) : 0, rate, sizeof(rate));
		snprintf(buf, size, "Downloading  %s/%s  %s/s", a, b, rate);
		break;
	case PULL_LAYER_DONE:
		snprintf(buf, size, "Pull complete");
		break;
	}
}

static void on_start(void *userdata, const struct image_ref *ref)
{
	struct display *d = userdata;

	if (d->mode != PULL_OUTPUT_QUIET)
		fprintf(d->out, "%s: Pulling from %s\n", ref->digest[0] ? ref->digest : ref->tag,
			ref->path);
}

static void on_layer(void *userdata, const char *digest, enum pull_layer_state state, uint64_t done,
		     uint64_t total)
{
	struct display *d = userdata;
	uint64_t now = now_ns();
	char text[128];
	struct line *l = NULL;
	size_t i;

	if (d->mode == PULL_OUTPUT_QUIET)
		return;
	for (i = 0; i < d->n && !l; i++)
		if (strcmp(d->lines[i].digest, digest) == 0)
			l = &d->lines[i];
	if (!l) {
		d->lines = realloc(d->lines, (d->n + 1) * sizeof(*d->lines));
		if (!d->lines)
			abort();
		l = &d->lines[d->n++];
		memset(l, 0, sizeof(*l));
		snprintf(l->digest, sizeof(l->digest), "%s", digest);
		l->state = state;
		l->start_ns = now;
		line_text(l, done, total, now, text, sizeof(text));
		fprintf(d->out, "%.12s: %s\n", digest + strlen("sha256:"), text);
		fflush(d->out);
		return;
	}
	i = (size_t)(l - d->lines);
	if (state == l->state && (d->mode == PULL_OUTPUT_PLAIN || now - l->drawn_ns < REDRAW_NS))
		return;
	if (state == PULL_LAYER_DOWNLOADING && l->state != state)
		l->start_ns = now;
	l->state = state;
	l->drawn_ns = now;
	if (d->mode == PULL_OUTPUT_PLAIN) {
		if (state != PULL_LAYER_DOWNLOADING)
			fprintf(d->out, "%.12s: %s\n", digest + strlen("sha256:"),
				state == PULL_LAYER_DONE ? "Pull complete" : "Already exists");
		return;
	}
	line_text(l, done, total, now, text, sizeof(text));
	/* Up to the layer's line, rewrite it, back down below the last. */
	fprintf(d->out, "\033[%zuA\r\033[2K%.12s: %s\n", d->n - i, digest + strlen("sha256:"),
		text);
	if (d->n - i > 1)
		fprintf(d->out, "\033[%zuB", d->n - i - 1);
	fflush(d->out);
}

int launcher_pull(struct store *st, const char *ref, const struct registry_options *o, FILE *out,
		  enum pull_output_mode mode, bool name_line, struct error *e)
{
	struct display d = {.out = out, .mode = mode};
	struct pull_progress p = {.userdata = &d, .start = on_start, .layer = on_layer};
	struct pull_result res;
	struct image_ref r;
	char familiar[STORE_NAME_MAX];
	int rc;

	if (image_ref_parse(ref, &r, e) < 0)
		return -e->code;
	rc = image_pull(st, &r, o, &p, &res, e);
	free(d.lines);
	if (rc < 0)
		return rc;
	if (image_ref_format_familiar(&r, familiar, sizeof(familiar)) < 0)
		snprintf(familiar, sizeof(familiar), "%s", res.name);
	if (mode != PULL_OUTPUT_QUIET) {
		fprintf(out, "Digest: %s\n", res.digest);
		fprintf(out, "Status: %s for %s\n",
			res.updated ? "Downloaded newer image" : "Image is up to date", familiar);
	}
	if (name_line)
		fprintf(out, "%s\n", res.name);
	fflush(out);
	return 0;
}
