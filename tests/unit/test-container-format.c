/* launcher/container-format: ps's columns and inspect's document, as
 * Docker prints them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "container-format.h"
#include "units.h"

#define S 1000000000ull
#define T0 (1700000000ull * S)

static void test_durations(void **state)
{
	static const struct {
		int64_t s;
		const char *want;
	} cases[] = {
	    {0, "Less than a second"}, {1, "1 second"},		  {59, "59 seconds"},
	    {60, "About a minute"},    {119, "About a minute"},	  {120, "2 minutes"},
	    {3599, "59 minutes"},      {3600, "About an hour"},	  {5399, "About an hour"},
	    {5400, "2 hours"},	       {47 * 3600, "47 hours"},	  {48 * 3600, "2 days"},
	    {14 * 86400, "2 weeks"},   {60 * 86400, "2 months"}, {800 * 86400, "2 years"},
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		human_duration(cases[i].s, buf, sizeof(buf));
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("%lld s: \"%s\", want \"%s\"", (long long)cases[i].s, buf,
				 cases[i].want);
	}
}

static struct container_record record(enum container_status st)
{
	static char *args[] = {"sh", "-c", "while true; do echo hi; sleep 1; done"};
	struct container_record r = {0};

	strcpy(r.config.id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	strcpy(r.config.name, "web");
	r.config.created_ns = T0;
	r.config.args = args;
	r.config.nargs = 3;
	r.config.image = "busybox";
	r.config.stop_signal = SIGTERM;
	r.state.status = st;
	r.state.started_ns = T0 + 10 * S;
	r.state.finished_ns = T0 + 20 * S;
	r.state.exit_code = 137;
	r.state.monitor_pid = 4242;
	return r;
}

static void test_status(void **state)
{
	struct container_record r = record(CONTAINER_RUNNING);
	char buf[128];

	format_status(&r, T0 + 13 * S, buf, sizeof(buf));
	assert_string_equal(buf, "Up 3 seconds");
	format_status(&r, T0 + 10 * S, buf, sizeof(buf));
	assert_string_equal(buf, "Up Less than a second");
	r.state.status = CONTAINER_EXITED;
	format_status(&r, T0 + 140 * S, buf, sizeof(buf));
	assert_string_equal(buf, "Exited (137) 2 minutes ago");
	r.state.status = CONTAINER_CREATED;
	format_status(&r, T0 + 140 * S, buf, sizeof(buf));
	assert_string_equal(buf, "Created");
	/* A clock that went back is no negative duration. */
	r.state.status = CONTAINER_RUNNING;
	format_status(&r, T0, buf, sizeof(buf));
	assert_string_equal(buf, "Up Less than a second");
	format_ago(T0, T0 + 7200 * S, buf, sizeof(buf));
	assert_string_equal(buf, "2 hours ago");
}

static void test_command(void **state)
{
	struct container_record r = record(CONTAINER_RUNNING);
	static char *short_args[] = {"sleep", "100"};
	char buf[256];

	format_command(&r.config, false, buf, sizeof(buf));
	assert_string_equal(buf, "\"sh -c while true; d…\"");
	format_command(&r.config, true, buf, sizeof(buf));
	assert_string_equal(buf, "\"sh -c while true; do echo hi; sleep 1; done\"");
	r.config.args = short_args;
	r.config.nargs = 2;
	format_command(&r.config, false, buf, sizeof(buf));
	assert_string_equal(buf, "\"sleep 100\"");
}

static void test_time(void **state)
{
	char buf[48];

	format_time(0, buf, sizeof(buf));
	assert_string_equal(buf, "0001-01-01T00:00:00Z");
	format_time(T0 + 5, buf, sizeof(buf));
	assert_string_equal(buf, "2023-11-14T22:13:20.000000005Z");
}

static void test_inspect(void **state)
{
	struct container_record r = record(CONTAINER_RUNNING);
	json_t *o, *st;

	r.config.memory = 64 << 20;
	r.config.nano_cpus = 2000000000;
	strcpy(r.state.vm.domain, "launcher-0a0b0c0d0e0f");
	strcpy(r.state.vm.accel, "tcg");
	r.state.vm.vcpus = 2;
	o = format_inspect(&r, "/run/launcher/containers/x/container.log");
	assert_string_equal(json_string_value(json_object_get(o, "Id")), r.config.id);
	assert_string_equal(json_string_value(json_object_get(o, "Name")), "/web");
	assert_string_equal(json_string_value(json_object_get(o, "Path")), "sh");
	assert_int_equal(json_array_size(json_object_get(o, "Args")), 2);
	st = json_object_get(o, "State");
	assert_string_equal(json_string_value(json_object_get(st, "Status")), "running");
	assert_true(json_is_true(json_object_get(st, "Running")));
	assert_int_equal(json_integer_value(json_object_get(st, "Pid")), 4242);
	assert_string_equal(json_string_value(json_object_get(st, "StartedAt")),
			    "2023-11-14T22:13:30.000000000Z");
	assert_string_equal(json_string_value(json_object_get(st, "FinishedAt")),
			    "2023-11-14T22:13:40.000000000Z");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "HostConfig"),
							    "Memory")),
			 64 << 20);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "HostConfig"),
							    "NanoCpus")),
			 2000000000);
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "Config"),
							      "Image")),
			    "busybox");
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "Config"),
							      "StopSignal")),
			    "SIGTERM");
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "VM"),
							      "Domain")),
			    "launcher-0a0b0c0d0e0f");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "VM"), "VCPUs")),
			 2);
	json_decref(o);
	/* Exited: not running, no pid. */
	r.state.status = CONTAINER_EXITED;
	o = format_inspect(&r, "x");
	st = json_object_get(o, "State");
	assert_true(json_is_false(json_object_get(st, "Running")));
	assert_int_equal(json_integer_value(json_object_get(st, "Pid")), 0);
	assert_int_equal(json_integer_value(json_object_get(st, "ExitCode")), 137);
	json_decref(o);
}

static void test_ps_json(void **state)
{
	struct container_record r = record(CONTAINER_EXITED);
	json_t *o = format_ps_json(&r, T0 + 140 * S);

	assert_string_equal(json_string_value(json_object_get(o, "ID")), "0123456789ab");
	assert_string_equal(json_string_value(json_object_get(o, "Names")), "web");
	assert_string_equal(json_string_value(json_object_get(o, "State")), "exited");
	assert_string_equal(json_string_value(json_object_get(o, "Status")),
			    "Exited (137) 2 minutes ago");
	assert_string_equal(json_string_value(json_object_get(o, "CreatedAt")),
			    "2023-11-14 22:13:20 +0000 UTC");
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_durations), cmocka_unit_test(test_status),
	    cmocka_unit_test(test_command),   cmocka_unit_test(test_time),
	    cmocka_unit_test(test_inspect),   cmocka_unit_test(test_ps_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
