/* container/state: the host's container records. Files are written whole
 * (a reader never sees half of one), names are unique, IDs resolve as
 * Docker resolves them, a dead monitor is recorded as an exit, and a
 * record on disk is validated like any other input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state.h"
#include "util.h"

static char root[64];

static int setup(void **state)
{
	strcpy(root, "/tmp/test-state.XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	remove_tree(root);
	return 0;
}

static void new_config(struct container_config *c, const char *name)
{
	static char *args[] = {"sh", "-c", "echo hi"}, *env[] = {"PATH=/bin", "A=1"};

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->image = xstrdup("busybox");
	c->image_id = xstrdup("sha256:0123");
	c->create_request = xstrdup("{\"op\":\"create\"}");
	c->args = malloc(sizeof(args));
	for (size_t i = 0; i < 3; i++)
		c->args[i] = xstrdup(args[i]);
	c->nargs = 3;
	c->env = malloc(sizeof(env));
	for (size_t i = 0; i < 2; i++)
		c->env[i] = xstrdup(env[i]);
	c->nenv = 2;
	c->memory = 64 << 20;
	c->nano_cpus = 1500000000;
	c->stop_signal = SIGQUIT;
	c->stop_timeout = 3;
	c->tty = true;
	log_opts_default(&c->log);
	snprintf(c->accel, sizeof(c->accel), "tcg");
}

static void test_create_load(void **state)
{
	struct container_config c;
	struct container_record r;
	struct error e = {0};

	new_config(&c, "web");
	assert_int_equal(container_create(root, &c, &e), 0);
	assert_int_equal(strlen(c.id), CONTAINER_ID_LEN);
	assert_true(c.created_ns > 0);
	assert_int_equal(container_load(root, c.id, &r, &e), 0);
	assert_string_equal(r.config.name, "web");
	assert_string_equal(r.config.image, "busybox");
	assert_string_equal(r.config.args[2], "echo hi");
	assert_string_equal(r.config.env[1], "A=1");
	assert_int_equal(r.config.memory, 64 << 20);
	assert_int_equal(r.config.nano_cpus, 1500000000);
	assert_int_equal(r.config.stop_signal, SIGQUIT);
	assert_int_equal(r.config.stop_timeout, 3);
	assert_true(r.config.tty);
	assert_null(r.config.workdir);
	assert_int_equal(r.state.status, CONTAINER_CREATED);
	container_record_free(&r);
	container_config_free(&c);
}

static void test_names(void **state)
{
	struct container_config a, b, c;
	struct error e = {0};
	char id[CONTAINER_ID_LEN + 1];

	new_config(&a, "dup");
	new_config(&b, "dup");
	assert_int_equal(container_create(root, &a, &e), 0);
	assert_int_equal(container_create(root, &b, &e), -EEXIST);
	assert_non_null(strstr(e.msg, "The container name \"/dup\" is already in use by container"));
	assert_non_null(strstr(e.msg, a.id));
	/* No name: a random adjective_scientist one. */
	new_config(&c, "");
	assert_int_equal(container_create(root, &c, &e), 0);
	assert_non_null(strchr(c.name, '_'));
	assert_true(container_name_valid(c.name));
	/* Lookups: full ID, name, unique prefix; unknown ones say so. */
	assert_int_equal(container_find(root, "dup", id, &e), 0);
	assert_string_equal(id, a.id);
	assert_int_equal(container_find(root, a.id, id, &e), 0);
	assert_string_equal(id, a.id);
	assert_int_equal(container_find(root, c.name, id, &e), 0);
	assert_string_equal(id, c.id);
	{
		char prefix[13];
		snprintf(prefix, sizeof(prefix), "%.12s", c.id);
		assert_int_equal(container_find(root, prefix, id, &e), 0);
		assert_string_equal(id, c.id);
	}
	assert_int_equal(container_find(root, "nosuch", id, &e), -ENOENT);
	assert_string_equal(e.msg, "no such container: nosuch");
	/* After rm the name is free again. */
	assert_int_equal(container_remove(root, a.id, &e), 0);
	assert_int_equal(container_create(root, &b, &e), 0);
	container_config_free(&a);
	container_config_free(&b);
	container_config_free(&c);
}

static void test_name_rules(void **state)
{
	static const char *const good[] = {"ab", "web-1", "a.b_c", "X9"};
	static const char *const bad[] = {"", "a", "-ab", "_ab", "a b", "a/b", "é1", ".ab"};

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		assert_true(container_name_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (container_name_valid(bad[i]))
			fail_msg("\"%s\" accepted", bad[i]);
}

static int set_running(struct container_state *s, void *ctx, struct error *e)
{
	s->status = CONTAINER_RUNNING;
	s->monitor_pid = *(int *)ctx;
	s->started_ns = 1;
	snprintf(s->vm.domain, sizeof(s->vm.domain), "launcher-abc");
	return 0;
}

/* A monitor holds monitor.lock; one killed leaves a "running" record that
 * the next reader turns into an exit with the reason. */
static void test_dead_monitor(void **state)
{
	struct container_config c;
	struct container_record r;
	struct error e = {0};
	int sync[2], status;
	pid_t pid;
	char b;

	new_config(&c, "victim");
	assert_int_equal(container_create(root, &c, &e), 0);
	assert_int_equal(pipe(sync), 0);
	pid = fork();
	if (pid == 0) {
		if (container_monitor_lock(root, c.id, 1000, &e) < 0)
			_exit(1);
		(void)!write(sync[1], "x", 1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(sync[0], &b, 1), 1);
	assert_int_equal(container_update(root, c.id, set_running, &pid, &e), 0);
	assert_true(container_monitor_alive(root, c.id));
	assert_int_equal(container_load(root, c.id, &r, &e), 0);
	assert_int_equal(r.state.status, CONTAINER_RUNNING);
	container_record_free(&r);

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	assert_false(container_monitor_alive(root, c.id));
	assert_int_equal(container_load(root, c.id, &r, &e), 0);
	assert_int_equal(r.state.status, CONTAINER_EXITED);
	assert_int_not_equal(r.state.exit_code, 0);
	assert_true(r.state.finished_ns > 0);
	assert_non_null(strstr(r.state.error, "monitor"));
	assert_non_null(strstr(r.state.error, "died"));
	container_record_free(&r);
	close(sync[0]);
	close(sync[1]);
	container_config_free(&c);
}

/* Two monitors for one container: the second, while the first runs it,
 * gets -EWOULDBLOCK; while the first is on its way out (not running), it
 * waits, here until its timeout. */
static void test_monitor_lock_contention(void **state)
{
	struct container_config c;
	struct error e = {0};
	int first, r;
	pid_t pid = 42;

	new_config(&c, "contended");
	assert_int_equal(container_create(root, &c, &e), 0);
	first = container_monitor_lock(root, c.id, 1000, &e);
	assert_true(first >= 0);
	r = container_monitor_lock(root, c.id, 200, &e);
	assert_int_equal(r, -ETIMEDOUT);
	assert_non_null(strstr(e.msg, "previous monitor"));
	error_clear(&e);
	assert_int_equal(container_update(root, c.id, set_running, &pid, &e), 0);
	assert_int_equal(container_monitor_lock(root, c.id, 1000, &e), -EWOULDBLOCK);
	close(first);
	r = container_monitor_lock(root, c.id, 1000, &e);
	assert_true(r >= 0);
	close(r);
	container_config_free(&c);
}

static int set_bad_error(struct container_state *s, void *ctx, struct error *e)
{
	/* A guest's console tail, cut in the middle of a character. */
	snprintf(s->error, sizeof(s->error), "boot failed: \xff\xfe caf\xc3");
	s->status = CONTAINER_EXITED;
	return 0;
}

/* Text that is not UTF-8 still makes a readable record. */
static void test_non_utf8_text(void **state)
{
	struct container_config c;
	struct container_record r;
	struct error e = {0};

	new_config(&c, "bytes");
	assert_int_equal(container_create(root, &c, &e), 0);
	assert_int_equal(container_update(root, c.id, set_bad_error, NULL, &e), 0);
	assert_int_equal(container_load(root, c.id, &r, &e), 0);
	assert_int_equal(r.state.status, CONTAINER_EXITED);
	assert_string_equal(r.state.error, "boot failed: ?? caf?");
	container_record_free(&r);
	container_config_free(&c);
}

/* rm leaves nothing, and a reader after it finds nothing (nor makes
 * anything). */
static void test_remove(void **state)
{
	struct container_config c;
	struct container_record r;
	struct error e = {0};
	char dir[4096];
	struct stat st;

	new_config(&c, "doomed");
	assert_int_equal(container_create(root, &c, &e), 0);
	container_path(root, c.id, NULL, dir, sizeof(dir));
	assert_int_equal(container_remove(root, c.id, &e), 0);
	assert_int_equal(stat(dir, &st), -1);
	assert_true(container_load(root, c.id, &r, &e) < 0);
	assert_false(container_monitor_alive(root, c.id));
	assert_int_equal(stat(dir, &st), -1);
	assert_int_equal(container_remove(root, c.id, &e), 0);
	container_config_free(&c);
}

static void test_list_order(void **state)
{
	struct container_config a, b;
	struct container_record *all;
	struct error e = {0};
	size_t n;

	new_config(&a, "first");
	new_config(&b, "second");
	assert_int_equal(container_create(root, &a, &e), 0);
	assert_int_equal(container_create(root, &b, &e), 0);
	/* Junk beside the records is no record. */
	{
		char p[256];
		snprintf(p, sizeof(p), "%s/containers/not-an-id", root);
		assert_int_equal(mkdir(p, 0700), 0);
	}
	assert_int_equal(container_list(root, &all, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(all[0].config.name, "second"); /* newest first */
	assert_string_equal(all[1].config.name, "first");
	for (size_t i = 0; i < n; i++)
		container_record_free(&all[i]);
	free(all);
	container_config_free(&a);
	container_config_free(&b);
}

static void test_bad_records(void **state)
{
	static const char *const bad_state[] = {
	    "",
	    "[]",
	    "{\"status\":\"zombie\"}",
	    "{\"status\":\"running\",\"monitor_pid\":-1}",
	    "{\"status\":\"running\",\"monitor_pid\":1,\"pid\":1,\"started\":1,\"finished\":0,"
	    "\"exit_code\":256,\"oom_killed\":false,\"restart_count\":0,\"error\":\"\",\"vm\":{}}",
	    "{\"status\":\"running\",\"monitor_pid\":1,\"pid\":1,\"started\":1,\"finished\":0,"
	    "\"exit_code\":0,\"oom_killed\":false,\"restart_count\":0,\"error\":\"\",\"vm\":[]}",
	};
	struct container_state s;
	struct container_config c;
	struct error e = {0};
	char *text;

	for (size_t i = 0; i < sizeof(bad_state) / sizeof(*bad_state); i++) {
		e.code = 0;
		if (container_state_parse(bad_state[i], strlen(bad_state[i]), &s, &e) == 0)
			fail_msg("state %s accepted", bad_state[i]);
		assert_int_equal(e.code, EBADMSG);
	}
	/* A config round-trips; a long name or a bad ID does not pass. */
	new_config(&c, "ok-name");
	container_new_id(c.id);
	text = container_config_format(&c);
	container_config_free(&c);
	assert_int_equal(container_config_parse(text, strlen(text), &c, &e), 0);
	assert_string_equal(c.name, "ok-name");
	container_config_free(&c);
	{
		char *p = strstr(text, "\"ok-name\"");
		p[1] = '-'; /* "-k-name": not a valid name */
		assert_int_equal(container_config_parse(text, strlen(text), &c, &e), -EBADMSG);
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_names, setup, teardown),
	    cmocka_unit_test(test_name_rules),
	    cmocka_unit_test_setup_teardown(test_dead_monitor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_monitor_lock_contention, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_non_utf8_text, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_order, setup, teardown),
	    cmocka_unit_test(test_bad_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
