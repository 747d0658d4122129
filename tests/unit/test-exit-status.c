/* Docker's exit codes for `launcher run`. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exit-status.h"

static void test_start_errors(void **state)
{
	(void)state;
	assert_int_equal(exit_code_for_start_error(ENOENT), 127);
	assert_int_equal(exit_code_for_start_error(EACCES), 126);
	assert_int_equal(exit_code_for_start_error(ENOEXEC), 126);
	assert_int_equal(exit_code_for_start_error(EISDIR), 126);
	assert_int_equal(exit_code_for_start_error(EIO), 125);
	assert_int_equal(exit_code_for_start_error(0), 125);
}

static void test_wait_results(void **state)
{
	struct wait_result w = {.exit_code = 0};

	(void)state;
	assert_int_equal(exit_code_for_wait(&w), 0);
	w.exit_code = 3;
	assert_int_equal(exit_code_for_wait(&w), 3);
	w.exit_code = 255;
	assert_int_equal(exit_code_for_wait(&w), 255);
	w = (struct wait_result){.signal = 9};
	assert_int_equal(exit_code_for_wait(&w), 137);
	w = (struct wait_result){.signal = 15};
	assert_int_equal(exit_code_for_wait(&w), 143);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_errors),
		cmocka_unit_test(test_wait_results),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
