/* agent/container: how a process's end is reported to the host by wait
 * (the host turns it into `launcher run`'s exit status). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"

/* A real wait(2) status, from a child that ends as asked. */
static int status_of(int code, int sig)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (sig) {
			signal(sig, SIG_DFL);
			raise(sig);
		}
		_exit(code);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void test_exit_codes(void **state)
{
	static const int codes[] = {0, 1, 3, 125, 126, 127, 143, 255};

	for (size_t i = 0; i < sizeof(codes) / sizeof(*codes); i++) {
		struct wait_result r = {.exit_code = -1, .signal = -1};

		container_wait_result(status_of(codes[i], 0), &r);
		assert_int_equal(r.exit_code, codes[i]);
		assert_int_equal(r.signal, 0);
	}
}

static void test_signals(void **state)
{
	static const int sigs[] = {SIGTERM, SIGKILL, SIGINT, SIGUSR1};

	for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++) {
		struct wait_result r = {.exit_code = -1, .signal = -1};

		container_wait_result(status_of(0, sigs[i]), &r);
		assert_int_equal(r.exit_code, 0);
		assert_int_equal(r.signal, sigs[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_codes),
	    cmocka_unit_test(test_signals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
