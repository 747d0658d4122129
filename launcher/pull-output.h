/* How pulls look on the command line, for `launcher pull` and for
 * `launcher run` fetching a missing image: docker pull's lines
 * ("3.20: Pulling from library/alpine", a line per layer, "Digest:",
 * "Status:"), redrawn in place on a terminal, one line per change
 * otherwise. Also the registry options every pulling verb takes. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "error.h"
#include "registry.h"
#include "store.h"

#define PULL_INSECURE_MAX 32

/* --insecure-registry HOST[:PORT] (repeatable) and
 * LAUNCHER_INSECURE_REGISTRIES=HOST[:PORT],...: registries spoken to over
 * plain HTTP. */
struct pull_cli_options {
	const char *insecure[PULL_INSECURE_MAX];
	size_t ninsecure;
	char *env_copy;
};

int pull_options_add_insecure(struct pull_cli_options *o, const char *host, struct error *e);
int pull_options_add_env(struct pull_cli_options *o, struct error *e);
void pull_options_free(struct pull_cli_options *o);
struct registry_options pull_options_registry(const struct pull_cli_options *o);

enum pull_output_mode {
	PULL_OUTPUT_QUIET, /* nothing but the name (when name_line) */
	PULL_OUTPUT_PLAIN, /* a line per change of a layer's state */
	PULL_OUTPUT_TTY,   /* lines redrawn with ANSI cursor moves, rates shown */
};

/* Pulls ref as the user typed it into st, showing it on out; name_line:
 * end with the full name, as docker pull does. */
int launcher_pull(struct store *st, const char *ref, const struct registry_options *o, FILE *out,
		  enum pull_output_mode mode, bool name_line, struct error *e);
