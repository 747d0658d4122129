/* Runs a fuzz target once over each input, so that a corpus runs as an
 * ordinary test without libFuzzer (CONVENTIONS.md #8). Arguments are files,
 * or directories whose regular files are all inputs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fuzz.h"
#include "util.h"

/* Larger inputs are a mistake in the corpus, not a test. */
#define INPUT_MAX (16u << 20)

static int run_file(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ uint8_t *buf = NULL;
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (st.st_size > INPUT_MAX) {
		fprintf(stderr, "%s: larger than %u bytes\n", path, INPUT_MAX);
		return -1;
	}
	/* Exactly the input's size, so that reading past it is caught. */
	buf = xmalloc((size_t)st.st_size);
	n = read_full(fd, buf, (size_t)st.st_size);
	if (n != st.st_size) {
		fprintf(stderr, "%s: %s\n", path, n < 0 ? strerror((int)-n) : "short read");
		return -1;
	}
	printf("%s\n", path);
	fflush(stdout); /* a crash is then attributed to its input */
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	return 0;
}

/* Returns the number of inputs run, or -1. */
static int run_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), ran = 0;

	if (n < 0) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = xasprintf("%s/%s", dir, names[i]->d_name);
		struct stat st;

		if (ran >= 0 && names[i]->d_name[0] != '.' && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode))
			ran = run_file(path) < 0 ? -1 : ran + 1;
		free(names[i]);
	}
	free(names);
	return ran;
}

int main(int argc, char **argv)
{
	int total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int n;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			n = run_dir(argv[i]);
			/* An empty corpus directory is a broken test, not a pass. */
			if (n == 0)
				fprintf(stderr, "%s: no inputs\n", argv[i]);
			if (n <= 0)
				return 1;
		} else {
			n = run_file(argv[i]) < 0 ? -1 : 1;
			if (n < 0)
				return 1;
		}
		total += n;
	}
	printf("%d inputs ran\n", total);
	return 0;
}
