/* launcher images: the local store's images, as `docker images` lists them. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "commands.h"
#include "image.h"
#include "reference.h"
#include "units.h"

static void images_usage(FILE *out)
{
	fprintf(out, "\nUsage:  launcher images [OPTIONS] [REPOSITORY[:TAG]]\n\n"
		     "List images\n\n"
		     "Options:\n"
		     "      --format string   Format output: \"table\" (default) or \"json\"\n"
		     "  -h, --help            Print usage\n"
		     "      --no-trunc        Don't truncate output\n"
		     "  -q, --quiet           Only show image IDs\n");
}

/* "3 minutes ago", as Docker's units.HumanDuration says it. */
static void ago(time_t t, char *buf, size_t size)
{
	char d[40];

	if (t < 0) {
		snprintf(buf, size, "N/A");
		return;
	}
	human_duration((int64_t)difftime(time(NULL), t), d, sizeof(d));
	snprintf(buf, size, "%s ago", d);
}

/* -1 when the image says nothing (or nothing readable). */
static time_t parse_created(const char *s)
{
	struct tm tm = {0};

	if (!s[0] || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return -1;
	return timegm(&tm);
}

struct row {
	char repo[STORE_NAME_MAX], tag[IMAGE_REF_TAG_MAX], id[STORE_DIGEST_MAX];
	char digest[STORE_DIGEST_MAX];
	time_t created;
	uint64_t size;
};

static void fill_row(struct store *st, const struct store_image *si, struct row *r)
{
	struct image_ref ref;
	struct image img;
	struct error e = {0};

	memset(r, 0, sizeof(*r));
	r->created = -1;
	snprintf(r->digest, sizeof(r->digest), "%s", si->manifest);
	if (strncmp(si->name, "sha256:", 7) != 0 && image_ref_parse(si->name, &ref, &e) == 0) {
		image_ref_repository_familiar(&ref, r->repo, sizeof(r->repo));
		snprintf(r->tag, sizeof(r->tag), "%s", ref.tag[0] ? ref.tag : "<none>");
	} else {
		snprintf(r->repo, sizeof(r->repo), "<none>");
		snprintf(r->tag, sizeof(r->tag), "<none>");
	}
	if (image_open(st, si->name, si->manifest, &img, &e) == 0) {
		snprintf(r->id, sizeof(r->id), "%s", img.manifest.config.digest);
		r->created = parse_created(img.config.created);
		r->size = img.manifest.config.size;
		for (size_t i = 0; i < img.manifest.nlayers; i++)
			r->size += img.manifest.layers[i].size;
		image_free(&img);
	} else {
		snprintf(r->id, sizeof(r->id), "%s", si->manifest);
	}
}

static bool matches(const struct row *r, const char *filter)
{
	char want[STORE_NAME_MAX];
	const char *colon;

	if (!filter)
		return true;
	snprintf(want, sizeof(want), "%s", filter);
	colon = strrchr(want, ':');
	if (colon && !strchr(colon, '/')) {
		want[colon - want] = '\0';
		if (strcmp(colon + 1, r->tag) != 0)
			return false;
	}
	return strcmp(want, r->repo) == 0;
}

int cmd_images(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
	    {"no-trunc", no_argument, NULL, 'n'},     {"quiet", no_argument, NULL, 'q'},
	    {"all", no_argument, NULL, 'a'},	      {0},
	};
	bool json = false, quiet = false, notrunc = false;
	_cleanup_free_ struct store_image *v = NULL;
	json_auto_t *out = json_array();
	struct store st;
	struct error e = {0};
	size_t n;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hqa", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0) {
				launcher_error("invalid --format \"%s\": use table or json\n"
					       "See 'launcher images --help'.",
					       optarg);
				return EXIT_LAUNCHER;
			}
			json = strcmp(optarg, "json") == 0;
			break;
		case 'q':
			quiet = true;
			break;
		case 'n':
			notrunc = true;
			break;
		case 'a':
			break;
		case 'h':
			images_usage(stdout);
			return 0;
		default:
			launcher_error("unknown flag: %s\nSee 'launcher images --help'.",
				       argv[optind - 1]);
			return EXIT_LAUNCHER;
		}
	}
	if (argc - optind > 1) {
		launcher_error("\"launcher images\" accepts at most 1 argument.\n"
			       "See 'launcher images --help'.");
		return EXIT_LAUNCHER;
	}
	if (store_open(&st, NULL, &e) < 0 || store_list(&st, &v, &n, &e) < 0) {
		launcher_error("%s", e.msg);
		return EXIT_LAUNCHER;
	}
	if (!json && !quiet)
		printf("%-32s %-16s %-14s %-24s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED",
		       "SIZE");
	for (size_t i = 0; i < n; i++) {
		struct row r;
		char id[sizeof(r.id)], created[64], size[32];

		fill_row(&st, &v[i], &r);
		if (!matches(&r, optind < argc ? argv[optind] : NULL))
			continue;
		snprintf(id, sizeof(id), "%.71s", notrunc ? r.id : r.id + 7);
		if (!notrunc)
			id[12] = '\0';
		human_size(r.size, 3, size, sizeof(size));
		if (json) {
			char iso[32] = "";
			if (r.created >= 0)
				strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ",
					 gmtime(&r.created));
			json_array_append_new(
			    out, json_pack("{sssssssssssIss}", "Repository", r.repo, "Tag", r.tag,
					   "ID", r.id, "Digest", r.digest, "CreatedAt", iso, "Size",
					   (json_int_t)r.size, "Name", v[i].name));
		} else if (quiet) {
			printf("%s\n", id);
		} else {
			ago(r.created, created, sizeof(created));
			printf("%-32s %-16s %-14s %-24s %s\n", r.repo, r.tag, id, created, size);
		}
	}
	if (json) {
		char *text = json_dumps(out, JSON_INDENT(2));
		printf("%s\n", text ? text : "[]");
		free(text);
	}
	store_close(&st);
	return 0;
}
