/* security/seccomp-*: profiles in Docker's and the OCI format, refused
 * with a message naming the field when they are wrong, and compiled into
 * BPF programs that do what the profile says. The programs are checked
 * twice: run in a small BPF interpreter on chosen system calls (any
 * architecture, any argument, whatever this process may do), and
 * installed for real in a child process that then makes the calls. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "seccomp-compile.h"
#include "seccomp-profile.h"

#define BIT(c) (UINT64_C(1) << (c))
#define N(a) (sizeof(a) / sizeof(*(a)))

#define ALLOW SECCOMP_RET_ALLOW
#define EPERM_RET (SECCOMP_RET_ERRNO | EPERM)
#define ENOSYS_RET (SECCOMP_RET_ERRNO | ENOSYS)
#define KILL SECCOMP_RET_KILL_PROCESS

/* --- helpers ------------------------------------------------------------- */

static struct seccomp_profile *parse_ok(const char *json)
{
	struct seccomp_profile *p = NULL;
	struct error e = {0};

	if (seccomp_profile_parse(json, strlen(json), &p, &e) < 0)
		fail_msg("refused: %s", e.msg);
	assert_non_null(p);
	return p;
}

static void printable(const char *s)
{
	for (; *s; s++)
		assert_true(*s >= 0x20 && *s < 0x7f);
}

/* Refused with code, and a message that contains want. */
static void parse_bad(const char *json, size_t len, int code, const char *want)
{
	struct seccomp_profile *p = NULL;
	struct error e = {0};
	int r = seccomp_profile_parse(json, len, &p, &e);

	if (r == 0)
		fail_msg("accepted: %.200s", json);
	assert_null(p);
	assert_int_equal(r, -code);
	assert_int_equal(e.code, code);
	if (!strstr(e.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, want);
	assert_true(strncmp(e.msg, "seccomp profile: ", 17) == 0);
	printable(e.msg);
}

static void compile_ok(const struct seccomp_profile *p, uint64_t caps, struct seccomp_bpf *b)
{
	struct error e = {0};

	if (seccomp_profile_compile(p, caps, b, &e) < 0)
		fail_msg("compile: %s", e.msg);
	assert_true(b->ninsns >= 1 && b->ninsns <= SECCOMP_BPF_INSNS_MAX);
	assert_non_null(b->insns);
}

/* A classic BPF interpreter for seccomp programs, as the kernel runs them
 * on struct seccomp_data: the return value for one system call. */
static uint32_t run_bpf(const struct seccomp_bpf *b, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};

	for (size_t pc = 0; pc < b->ninsns; pc++) {
		const struct sock_filter *f = &b->insns[pc];
		uint32_t src = BPF_SRC(f->code) == BPF_X ? x : f->k;
		bool taken = false;

		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
			if (BPF_MODE(f->code) == BPF_ABS && BPF_SIZE(f->code) == BPF_W) {
				assert_true(f->k % 4 == 0 && f->k + 4 <= sizeof(*d));
				memcpy(&a, (const char *)d + f->k, 4);
			} else if (BPF_MODE(f->code) == BPF_IMM) {
				a = f->k;
			} else {
				assert_true(BPF_MODE(f->code) == BPF_MEM && f->k < BPF_MEMWORDS);
				a = mem[f->k];
			}
			break;
		case BPF_LDX:
			assert_true(BPF_MODE(f->code) == BPF_IMM || BPF_MODE(f->code) == BPF_MEM);
			x = BPF_MODE(f->code) == BPF_IMM ? f->k : mem[f->k % BPF_MEMWORDS];
			break;
		case BPF_ST:
			mem[f->k % BPF_MEMWORDS] = a;
			break;
		case BPF_STX:
			mem[f->k % BPF_MEMWORDS] = x;
			break;
		case BPF_ALU:
			switch (BPF_OP(f->code)) {
			case BPF_AND:
				a &= src;
				break;
			case BPF_OR:
				a |= src;
				break;
			case BPF_ADD:
				a += src;
				break;
			case BPF_SUB:
				a -= src;
				break;
			case BPF_LSH:
				a <<= src;
				break;
			case BPF_RSH:
				a >>= src;
				break;
			default:
				fail_msg("BPF ALU op %#x", f->code);
			}
			break;
		case BPF_JMP:
			switch (BPF_OP(f->code)) {
			case BPF_JA:
				pc += f->k;
				continue;
			case BPF_JEQ:
				taken = a == src;
				break;
			case BPF_JGT:
				taken = a > src;
				break;
			case BPF_JGE:
				taken = a >= src;
				break;
			case BPF_JSET:
				taken = (a & src) != 0;
				break;
			default:
				fail_msg("BPF jump op %#x", f->code);
			}
			pc += taken ? f->jt : f->jf;
			break;
		case BPF_RET:
			return BPF_RVAL(f->code) == BPF_K ? f->k : a;
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		}
	}
	fail_msg("the BPF program ran off its end");
	return 0;
}

/* The program's verdict on a system call, by name, made through the ABI
 * of arch (a libseccomp SCMP_ARCH_* token). */
static uint32_t verdict_on(const struct seccomp_bpf *b, uint32_t arch, const char *name,
			   uint64_t arg0, uint64_t arg1)
{
	struct seccomp_data d = {.arch = arch == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : arch,
				 .args = {arg0, arg1}};

	d.nr = seccomp_syscall_resolve_name_arch(arch, name);
	if (d.nr < 0)
		fail_msg("%s has no number on arch %#x", name, arch);
	return run_bpf(b, &d);
}

static uint32_t verdict(const struct seccomp_bpf *b, const char *name, uint64_t arg0)
{
	return verdict_on(b, SCMP_ARCH_X86_64, name, arg0, 0);
}

/* Runs checks in a child that installed b first, as the agent does;
 * returns checks' result (0: all passed) or 100+ when it could not run. */
static int run_confined(const struct seccomp_bpf *b, int (*checks)(void))
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sock_fprog prog = {.len = (unsigned short)b->ninsns, .filter = b->insns};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, b->flags, &prog) < 0)
			_exit(100);
		_exit(checks());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return 200 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* In a confined child: fail with number n unless cond. */
#define EXPECT(n, cond)                                                                            \
	do {                                                                                       \
		if (!(cond))                                                                       \
			return n;                                                                  \
	} while (0)

static bool fails_with(long r, int err)
{
	return r == -1 && errno == err;
}

/* --- samples ------------------------------------------------------------- */

/* Docker's format: archMap, legacy "name", includes/excludes, comments. */
static const char docker_profile[] =
    "{\n"
    "  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
    "  \"defaultErrnoRet\": 1,\n"
    "  \"archMap\": [\n"
    "    {\"architecture\": \"SCMP_ARCH_X86_64\",\n"
    "     \"subArchitectures\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"]},\n"
    "    {\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": null}\n"
    "  ],\n"
    "  \"syscalls\": [\n"
    "    {\"names\": [\"read\", \"write\", \"exit_group\", \"getpid\", \"no_such_call\"],\n"
    "     \"action\": \"SCMP_ACT_ALLOW\", \"comment\": \"the basics\", \"args\": []},\n"
    "    {\"name\": \"gettid\", \"action\": \"SCMP_ACT_ALLOW\", \"args\": null},\n"
    "    {\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
    "     \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}, \"excludes\": {}},\n"
    "    {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
    "     \"args\": [{\"index\": 0, \"value\": 2114060288, \"valueTwo\": 0,\n"
    "               \"op\": \"SCMP_CMP_MASKED_EQ\"}],\n"
    "     \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"], \"arches\": [\"s390\", \"s390x\"]}},\n"
    "    {\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
    "     \"includes\": {\"minKernel\": \"4.8\"}},\n"
    "    {\"names\": [\"kexec_load\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"},\n"
    "    {\"names\": [\"arch_prctl\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
    "     \"includes\": {\"arches\": [\"amd64\", \"x32\"]}}\n"
    "  ]\n"
    "}\n";

/* The OCI runtime spec's linux.seccomp. */
static const char oci_profile[] =
    "{\n"
    "  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
    "  \"architectures\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],\n"
    "  \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],\n"
    "  \"syscalls\": [\n"
    "    {\"names\": [\"getcwd\", \"chmod\"], \"action\": \"SCMP_ACT_ERRNO\"},\n"
    "    {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 22,\n"
    "     \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_NE\"}]},\n"
    "    {\"names\": [\"acct\"], \"action\": \"SCMP_ACT_KILL\"},\n"
    "    {\"names\": [\"syslog\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 5}\n"
    "  ]\n"
    "}\n";

static const char block_mkdir[] = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
				  "{\"names\": [\"mkdir\", \"mkdirat\"],"
				  " \"action\": \"SCMP_ACT_ERRNO\"}]}";

/* --- parsing --------------------------------------------------------------- */

static void test_parse_docker(void **state)
{
	struct seccomp_profile *p = parse_ok(docker_profile);
	const struct seccomp_profile_rule *r = p->rules;

	(void)state;
	assert_int_equal(p->default_action, SECCOMP_PROFILE_ACT_ERRNO);
	assert_int_equal(p->default_errno, EPERM);
	assert_int_equal(p->arches, 0);
	assert_int_equal(p->narchmap, 2);
	assert_int_equal(p->archmap[0].arch, SECCOMP_PROFILE_ARCH_X86_64);
	assert_int_equal(p->archmap[0].subarches,
			 SECCOMP_PROFILE_ARCH_BIT(SECCOMP_PROFILE_ARCH_X86) |
			     SECCOMP_PROFILE_ARCH_BIT(SECCOMP_PROFILE_ARCH_X32));
	assert_int_equal(p->archmap[1].arch, SECCOMP_PROFILE_ARCH_AARCH64);
	assert_int_equal(p->archmap[1].subarches, 0);
	assert_int_equal(p->flags, 0);
	assert_int_equal(p->nrules, 7);
	assert_int_equal(r[0].nnames, 5);
	assert_string_equal(r[0].names[4], "no_such_call");
	assert_int_equal(r[0].action, SECCOMP_PROFILE_ACT_ALLOW);
	assert_int_equal(r[1].nnames, 1);
	assert_string_equal(r[1].names[0], "gettid");
	assert_int_equal(r[2].includes.caps, BIT(CAP_SYS_ADMIN));
	assert_int_equal(r[3].nargs, 1);
	assert_int_equal(r[3].args[0].index, 0);
	assert_int_equal(r[3].args[0].value, 0x7E020000);
	assert_int_equal(r[3].args[0].op, SECCOMP_PROFILE_OP_MASKED_EQ);
	assert_int_equal(r[3].excludes.caps, BIT(CAP_SYS_ADMIN));
	assert_int_equal(r[3].excludes.arches,
			 SECCOMP_PROFILE_ARCH_BIT(SECCOMP_PROFILE_ARCH_S390) |
			     SECCOMP_PROFILE_ARCH_BIT(SECCOMP_PROFILE_ARCH_S390X));
	assert_true(r[4].includes.has_min_kernel);
	assert_int_equal(r[4].includes.min_kernel_major, 4);
	assert_int_equal(r[4].includes.min_kernel_minor, 8);
	assert_int_equal(r[5].action, SECCOMP_PROFILE_ACT_KILL_PROCESS);
	assert_false(r[6].includes.other_arch);
	seccomp_profile_free(p);
}

static void test_parse_oci(void **state)
{
	struct seccomp_profile *p = parse_ok(oci_profile);

	(void)state;
	assert_int_equal(p->default_action, SECCOMP_PROFILE_ACT_ALLOW);
	assert_int_equal(p->arches, SECCOMP_PROFILE_ARCH_BIT(SECCOMP_PROFILE_ARCH_X86) |
					SECCOMP_PROFILE_ARCH_BIT(SECCOMP_PROFILE_ARCH_X32));
	assert_int_equal(p->narchmap, 0);
	assert_int_equal(p->flags, SECCOMP_FILTER_FLAG_LOG);
	assert_int_equal(p->nrules, 4);
	/* ERRNO without errnoRet: EPERM. */
	assert_int_equal(p->rules[0].action, SECCOMP_PROFILE_ACT_ERRNO);
	assert_int_equal(p->rules[0].errno_ret, EPERM);
	assert_int_equal(p->rules[1].errno_ret, 22);
	assert_int_equal(p->rules[1].args[0].op, SECCOMP_PROFILE_OP_NE);
	assert_int_equal(p->rules[2].action, SECCOMP_PROFILE_ACT_KILL_THREAD);
	assert_int_equal(p->rules[3].action, SECCOMP_PROFILE_ACT_TRACE);
	assert_int_equal(p->rules[3].errno_ret, 5);
	assert_string_equal(seccomp_profile_action_name(p->rules[3].action), "SCMP_ACT_TRACE");
	seccomp_profile_free(p);
	seccomp_profile_free(NULL);
}

/* Every action name and operator; an empty profile. */
static void test_parse_vocabulary(void **state)
{
	static const char *const actions[] = {
	    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
	    "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",	       "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG"};
	static const char *const ops[] = {"SCMP_CMP_NE",       "SCMP_CMP_LT", "SCMP_CMP_LE",
					  "SCMP_CMP_EQ",       "SCMP_CMP_GE", "SCMP_CMP_GT",
					  "SCMP_CMP_MASKED_EQ"};
	char json[512];
	struct seccomp_profile *p;

	(void)state;
	for (size_t i = 0; i < N(actions); i++) {
		snprintf(json, sizeof(json), "{\"defaultAction\":\"%s\"}", actions[i]);
		p = parse_ok(json);
		assert_int_equal(p->nrules, 0);
		seccomp_profile_free(p);
	}
	for (size_t i = 0; i < N(ops); i++) {
		snprintf(
		    json, sizeof(json),
		    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":5,\"value\":1,"
		    "\"valueTwo\":9223372036854775807,\"op\":\"%s\"}]}]}",
		    ops[i]);
		p = parse_ok(json);
		assert_int_equal(p->rules[0].args[0].op, (int)i);
		assert_int_equal(p->rules[0].args[0].index, 5);
		assert_true(p->rules[0].args[0].value_two == INT64_MAX);
		seccomp_profile_free(p);
	}
	p = parse_ok("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[],\"flags\":["
		     "\"SECCOMP_FILTER_FLAG_TSYNC\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\","
		     "\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],\"listenerPath\":\"\","
		     "\"architectures\":null}");
	assert_int_equal(p->flags,
			 SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_SPEC_ALLOW | (1u << 5));
	seccomp_profile_free(p);
}

#define HEAD "{\"defaultAction\":\"SCMP_ACT_ERRNO\","
#define RULE(x) HEAD "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"," x "}]}"
#define ARG(x) RULE("\"args\":[" x "]")

static void test_parse_errors(void **state)
{
	static const struct {
		const char *json;
		int code;
		const char *msg;
	} bad[] = {
	    {"{", EBADMSG, "invalid JSON"},
	    {"", EBADMSG, "invalid JSON"},
	    {"[]", EBADMSG, "not a JSON object"},
	    {"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultAction\":\"SCMP_ACT_KILL\"}", EBADMSG,
	     "invalid JSON"},
	    {"{}", EBADMSG, "seccomp profile: defaultAction: missing"},
	    {"{\"defaultAction\":1}", EBADMSG, "defaultAction: not a string"},
	    {"{\"defaultAction\":\"SCMP_ACT_FOO\"}", EBADMSG,
	     "defaultAction: unknown action \"SCMP_ACT_FOO\""},
	    {"{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}", EOPNOTSUPP,
	     "SCMP_ACT_NOTIFY is not supported"},
	    {HEAD "\"listenerPath\":\"/run/agent.sock\"}", EOPNOTSUPP,
	     "listenerPath: not supported"},
	    {HEAD "\"listenerMetadata\":\"x\"}", EOPNOTSUPP, "listenerMetadata: not supported"},
	    {HEAD "\"syscals\":[]}", EBADMSG, "seccomp profile: unknown field \"syscals\""},
	    {HEAD "\"syscalls\":{}}", EBADMSG, "syscalls: not an array"},
	    {HEAD "\"syscalls\":[7]}", EBADMSG, "syscalls[0]: not an object"},
	    {HEAD "\"defaultErrnoRet\":70000}", EBADMSG,
	     "defaultErrnoRet: 70000 is out of range [0, 4095]"},
	    {HEAD "\"defaultErrnoRet\":\"1\"}", EBADMSG, "defaultErrnoRet: not an integer"},
	    {HEAD "\"architectures\":[\"SCMP_ARCH_Z80\"]}", EBADMSG,
	     "architectures[0]: unknown architecture \"SCMP_ARCH_Z80\""},
	    {HEAD "\"architectures\":\"SCMP_ARCH_X86\"}", EBADMSG, "architectures: not an array"},
	    {HEAD "\"architectures\":[\"SCMP_ARCH_X86\"],\"archMap\":[{\"architecture\":"
		  "\"SCMP_ARCH_X86_64\"}]}",
	     EBADMSG, "both \"architectures\" and \"archMap\""},
	    {HEAD "\"archMap\":[{\"subArchitectures\":[]}]}", EBADMSG,
	     "archMap[0].architecture: missing"},
	    {HEAD "\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\",\"subArchitectures\":"
		  "[\"amd64\"]}]}",
	     EBADMSG, "archMap[0].subArchitectures[0]: unknown architecture \"amd64\""},
	    {HEAD "\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\",\"arch\":1}]}", EBADMSG,
	     "archMap[0]: unknown field \"arch\""},
	    {HEAD "\"flags\":[\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"]}", EBADMSG,
	     "flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\""},
	    /* syscalls[] */
	    {HEAD "\"syscalls\":[{\"action\":\"SCMP_ACT_ALLOW\"}]}", EBADMSG,
	     "syscalls[0]: missing names"},
	    {RULE("\"name\":\"write\""), EBADMSG, "syscalls[0]: both \"name\" and \"names\""},
	    {HEAD "\"syscalls\":[{\"names\":\"read\",\"action\":\"SCMP_ACT_ALLOW\"}]}", EBADMSG,
	     "syscalls[0].names: not an array"},
	    {HEAD "\"syscalls\":[{\"names\":[\"read\",3],\"action\":\"SCMP_ACT_ALLOW\"}]}", EBADMSG,
	     "syscalls[0].names[1]: not a string"},
	    {HEAD "\"syscalls\":[{\"names\":[\"READ\"],\"action\":\"SCMP_ACT_ALLOW\"}]}", EBADMSG,
	     "syscalls[0].names[0]: invalid syscall name \"READ\""},
	    {HEAD "\"syscalls\":[{\"names\":[\"\"],\"action\":\"SCMP_ACT_ALLOW\"}]}", EBADMSG,
	     "syscalls[0].names[0]: empty"},
	    {HEAD "\"syscalls\":[{\"names\":["
		  "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"],"
		  "\"action\":\"SCMP_ACT_ALLOW\"}]}",
	     EBADMSG, "syscalls[0].names[0]: longer than 64 bytes"},
	    {HEAD "\"syscalls\":[{\"names\":[\"read\"]}]}", EBADMSG, "syscalls[0].action: missing"},
	    {HEAD "\"syscalls\":[{\"names\":[\"a\"],\"action\":\"SCMP_ACT_ALLOW\"},"
		  "{\"names\":[\"b\"],\"action\":\"SCMP_ACT_ALLOW\"},"
		  "{\"names\":[\"c\"],\"action\":\"SCMP_ACT_ALLOW\"},"
		  "{\"names\":[\"d\"],\"action\":\"SCMP_ACT_FOO\"}]}",
	     EBADMSG, "seccomp profile: syscalls[3].action: unknown action \"SCMP_ACT_FOO\""},
	    {HEAD "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
	     EOPNOTSUPP, "syscalls[0].action: SCMP_ACT_NOTIFY is not supported"},
	    {RULE("\"index\":0"), EBADMSG, "syscalls[0]: unknown field \"index\""},
	    {RULE("\"errnoRet\":-1"), EBADMSG, "syscalls[0].errnoRet: -1 is out of range"},
	    {RULE("\"comment\":7"), EBADMSG, "syscalls[0].comment: not a string"},
	    /* args */
	    {RULE("\"args\":{}"), EBADMSG, "syscalls[0].args: not an array"},
	    {ARG("1"), EBADMSG, "syscalls[0].args[0]: not an object"},
	    {ARG("{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":0,\"op\":"
		 "\"SCMP_CMP_EQ\"},"
		 "{\"index\":2,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},{\"index\":3,\"value\":0,\"op\":"
		 "\"SCMP_CMP_EQ\"},"
		 "{\"index\":4,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},{\"index\":5,\"value\":0,\"op\":"
		 "\"SCMP_CMP_EQ\"},"
		 "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}"),
	     EBADMSG, "syscalls[0].args: more than 6 entries"},
	    {ARG("{\"index\":6,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}"), EBADMSG,
	     "syscalls[0].args[0].index: 6 is out of range [0, 5]"},
	    {ARG("{\"index\":-1,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}"), EBADMSG,
	     "syscalls[0].args[0].index: -1 is out of range"},
	    {ARG("{\"value\":0,\"op\":\"SCMP_CMP_EQ\"}"), EBADMSG,
	     "syscalls[0].args[0].index: missing"},
	    {ARG("{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_FOO\"}"), EBADMSG,
	     "syscalls[0].args[0].op: unknown operator \"SCMP_CMP_FOO\""},
	    {ARG("{\"index\":0,\"value\":0}"), EBADMSG, "syscalls[0].args[0].op: missing"},
	    {ARG("{\"index\":0,\"value\":\"1\",\"op\":\"SCMP_CMP_EQ\"}"), EBADMSG,
	     "syscalls[0].args[0].value: not an integer"},
	    {ARG("{\"index\":0,\"value\":1e30,\"op\":\"SCMP_CMP_EQ\"}"), EBADMSG,
	     "syscalls[0].args[0].value: not an integer"},
	    {ARG("{\"index\":0,\"value\":-5,\"op\":\"SCMP_CMP_EQ\"}"), EBADMSG,
	     "syscalls[0].args[0].value: -5 is out of range"},
	    {ARG("{\"index\":0,\"value\":18446744073709551616,\"op\":\"SCMP_CMP_EQ\"}"), EBADMSG,
	     "invalid JSON"},
	    {ARG("{\"index\":0,\"value\":1,\"valueThree\":1,\"op\":\"SCMP_CMP_EQ\"}"), EBADMSG,
	     "syscalls[0].args[0]: unknown field \"valueThree\""},
	    /* includes / excludes */
	    {RULE("\"includes\":[]"), EBADMSG, "syscalls[0].includes: not an object"},
	    {RULE("\"includes\":{\"caps\":[\"CAP_FOO\"]}"), EBADMSG,
	     "syscalls[0].includes.caps[0]: unknown capability \"CAP_FOO\""},
	    {RULE("\"excludes\":{\"caps\":\"CAP_SYS_ADMIN\"}"), EBADMSG,
	     "syscalls[0].excludes.caps: not an array"},
	    {RULE("\"includes\":{\"arches\":[1]}"), EBADMSG,
	     "syscalls[0].includes.arches[0]: not a string"},
	    {RULE("\"includes\":{\"minKernel\":\"4\"}"), EBADMSG,
	     "syscalls[0].includes.minKernel: invalid kernel version \"4\", expected \"X.Y\""},
	    {RULE("\"includes\":{\"minKernel\":\"4.8.1\"}"), EBADMSG, "invalid kernel version"},
	    {RULE("\"includes\":{\"minKernel\":\"4.x\"}"), EBADMSG, "invalid kernel version"},
	    {RULE("\"includes\":{\"minKernel\":\"-4.8\"}"), EBADMSG, "invalid kernel version"},
	    {RULE("\"includes\":{\"minKernel\":\"99999999999999999999.1\"}"), EBADMSG,
	     "invalid kernel version"},
	    {RULE("\"includes\":{\"minKernel\":4.8}"), EBADMSG, "includes.minKernel: not a string"},
	    {RULE("\"excludes\":{\"kernel\":\"4.8\"}"), EBADMSG,
	     "syscalls[0].excludes: unknown field \"kernel\""},
	};

	(void)state;
	for (size_t i = 0; i < N(bad); i++)
		parse_bad(bad[i].json, strlen(bad[i].json), bad[i].code, bad[i].msg);
}

/* A growing buffer for generated profiles. */
static char *append(char *s, size_t *len, const char *more)
{
	size_t n = strlen(more);

	s = realloc(s, *len + n + 1);
	assert_non_null(s);
	memcpy(s + *len, more, n + 1);
	*len += n;
	return s;
}

/* nrules entries of syscalls[], each of nnames names. */
static char *generated(size_t nrules, size_t nnames, size_t *len)
{
	char *s = NULL, item[64];

	*len = 0;
	s = append(s, len, HEAD "\"syscalls\":[");
	for (size_t i = 0; i < nrules; i++) {
		s = append(s, len, i ? ",{\"names\":[" : "{\"names\":[");
		for (size_t j = 0; j < nnames; j++) {
			snprintf(item, sizeof(item), "%s\"n%zu\"", j ? "," : "", j);
			s = append(s, len, item);
		}
		s = append(s, len, "],\"action\":\"SCMP_ACT_ALLOW\"}");
	}
	return append(s, len, "]}");
}

static void test_parse_limits(void **state)
{
	struct seccomp_profile *p;
	struct error e = {0};
	size_t len;
	char *s;

	(void)state;
	s = generated(SECCOMP_PROFILE_RULES_MAX, 1, &len);
	assert_int_equal(seccomp_profile_parse(s, len, &p, &e), 0);
	seccomp_profile_free(p);
	free(s);
	s = generated(SECCOMP_PROFILE_RULES_MAX + 1, 1, &len);
	parse_bad(s, len, EBADMSG, "syscalls: more than 4096 entries");
	free(s);
	s = generated(1, SECCOMP_PROFILE_NAMES_MAX + 1, &len);
	parse_bad(s, len, EBADMSG, "syscalls[0].names: more than 512 entries");
	free(s);
	s = generated(SECCOMP_PROFILE_TOTAL_NAMES_MAX / SECCOMP_PROFILE_NAMES_MAX + 1,
		      SECCOMP_PROFILE_NAMES_MAX, &len);
	parse_bad(s, len, EFBIG, "syscalls[16].names[0]: more than 8192 syscall names");
	free(s);
	/* Over a MiB, whatever it holds. */
	len = SECCOMP_PROFILE_JSON_MAX + 1;
	s = malloc(len);
	assert_non_null(s);
	memset(s, ' ', len);
	parse_bad(s, len, EFBIG, "larger than the limit");
	free(s);
	/* The length counts, not a NUL. */
	parse_bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}", 10, EBADMSG, "invalid JSON");
}

/* --- compiling --------------------------------------------------------------- */

static void test_compile_docker_by_caps(void **state)
{
	struct seccomp_profile *p = parse_ok(docker_profile);
	struct seccomp_bpf none, admin;

	(void)state;
	compile_ok(p, 0, &none);
	compile_ok(p, BIT(CAP_SYS_ADMIN), &admin);
	assert_false(none.ninsns == admin.ninsns &&
		     memcmp(none.insns, admin.insns, none.ninsns * sizeof(*none.insns)) == 0);
	/* includes caps: mount only with CAP_SYS_ADMIN. */
	assert_int_equal(verdict(&none, "mount", 0), EPERM_RET);
	assert_int_equal(verdict(&admin, "mount", 0), ALLOW);
	/* excludes caps: clone without namespaces only without it. */
	assert_int_equal(verdict(&none, "clone", SIGCHLD), ALLOW);
	assert_int_equal(verdict(&none, "clone", CLONE_NEWNS | SIGCHLD), EPERM_RET);
	assert_int_equal(verdict(&admin, "clone", SIGCHLD), EPERM_RET);
	/* The rest, whatever the capabilities. */
	assert_int_equal(verdict(&none, "getpid", 0), ALLOW);
	assert_int_equal(verdict(&none, "gettid", 0), ALLOW);
	assert_int_equal(verdict(&none, "ptrace", 0), ALLOW);
	assert_int_equal(verdict(&none, "arch_prctl", 0), ALLOW);
	assert_int_equal(verdict(&none, "kexec_load", 0), KILL);
	assert_int_equal(verdict(&none, "mkdir", 0), EPERM_RET);
	/* archMap's sub-architectures are covered; others are not. */
	assert_int_equal(verdict_on(&none, SCMP_ARCH_X86, "getpid", 0, 0), ALLOW);
	assert_int_equal(verdict_on(&none, SCMP_ARCH_X86, "mkdir", 0, 0), EPERM_RET);
	assert_int_equal(verdict_on(&none, SCMP_ARCH_X32, "getpid", 0, 0), ALLOW);
	assert_int_equal(verdict_on(&none, SCMP_ARCH_AARCH64, "getpid", 0, 0), KILL);
	seccomp_bpf_free(&none);
	seccomp_bpf_free(&admin);
	seccomp_bpf_free(&admin); /* zeroed by the first: harmless */
	seccomp_profile_free(p);
}

static void test_compile_oci(void **state)
{
	struct seccomp_profile *p = parse_ok(oci_profile);
	struct seccomp_bpf b;

	(void)state;
	compile_ok(p, caps_docker_default(), &b);
	assert_int_equal(b.flags, SECCOMP_FILTER_FLAG_LOG);
	assert_int_equal(verdict(&b, "getcwd", 0), EPERM_RET);
	assert_int_equal(verdict(&b, "personality", 8), ALLOW);
	assert_int_equal(verdict(&b, "personality", 0), SECCOMP_RET_ERRNO | 22);
	assert_int_equal(verdict(&b, "acct", 0), SECCOMP_RET_KILL_THREAD);
	assert_int_equal(verdict(&b, "syslog", 0), SECCOMP_RET_TRACE | 5);
	assert_int_equal(verdict(&b, "read", 0), ALLOW);
	/* The architectures listed, and this machine's. */
	assert_int_equal(verdict_on(&b, SCMP_ARCH_X86, "chmod", 0, 0), EPERM_RET);
	assert_int_equal(verdict_on(&b, SCMP_ARCH_X32, "read", 0, 0), ALLOW);
	seccomp_bpf_free(&b);
	seccomp_profile_free(p);
}

/* Which entries apply: architectures and kernel versions. */
static void test_compile_conditions(void **state)
{
	static const struct {
		const char *rule;
		uint32_t getpid;
	} cases[] = {
	    {"\"includes\":{\"arches\":[\"amd64\"]}", ALLOW},
	    {"\"includes\":{\"arches\":[\"x86_64\"]}", ALLOW},
	    {"\"includes\":{\"arches\":[\"arm64\",\"s390x\"]}", EPERM_RET},
	    {"\"includes\":{\"arches\":[\"z80\"]}", EPERM_RET},
	    {"\"includes\":{\"arches\":[]}", ALLOW},
	    {"\"excludes\":{\"arches\":[\"amd64\"]}", EPERM_RET},
	    {"\"excludes\":{\"arches\":[\"z80\"]}", ALLOW},
	    {"\"includes\":{\"minKernel\":\"6.1\"}", ALLOW},
	    {"\"includes\":{\"minKernel\":\"5.19\"}", ALLOW},
	    {"\"includes\":{\"minKernel\":\"6.2\"}", EPERM_RET},
	    {"\"includes\":{\"minKernel\":\"7.0\"}", EPERM_RET},
	    {"\"includes\":{\"minKernel\":\"\"}", ALLOW},
	    {"\"excludes\":{\"minKernel\":\"5.0\"}", EPERM_RET},
	    {"\"excludes\":{\"minKernel\":\"6.10\"}", ALLOW},
	    {"\"includes\":{\"caps\":[\"SYS_ADMIN\",\"CAP_NET_ADMIN\"]}", EPERM_RET},
	    {"\"includes\":{\"caps\":[\"CAP_CHOWN\",\"CAP_KILL\"]}", ALLOW},
	    {"\"excludes\":{\"caps\":[\"CAP_NET_ADMIN\",\"CAP_KILL\"]}", EPERM_RET},
	    {"\"excludes\":{\"caps\":[\"CAP_NET_ADMIN\"]}", ALLOW},
	};
	char json[512];

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct seccomp_profile *p;
		struct seccomp_bpf b;

		snprintf(
		    json, sizeof(json),
		    HEAD
		    "\"syscalls\":[{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\",%s}]}",
		    cases[i].rule);
		p = parse_ok(json);
		compile_ok(p, caps_docker_default(), &b);
		if (verdict(&b, "getpid", 0) != cases[i].getpid)
			fail_msg("%s: getpid gets %#x", cases[i].rule, verdict(&b, "getpid", 0));
		seccomp_bpf_free(&b);
		seccomp_profile_free(p);
	}
}

/* Conditions on different arguments are ANDed; on the same one, every
 * condition is a rule of its own (runc's reading). */
static void test_compile_args(void **state)
{
	struct seccomp_profile *and_p = parse_ok(
	    HEAD "\"syscalls\":[{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
		 "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
		 "{\"index\":1,\"value\":15,\"op\":\"SCMP_CMP_EQ\"}]}]}");
	struct seccomp_profile *or_p = parse_ok(
	    HEAD "\"syscalls\":[{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
		 "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
		 "{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"},"
		 "{\"index\":1,\"value\":15,\"op\":\"SCMP_CMP_EQ\"}]}]}");
	struct seccomp_profile *big = parse_ok(
	    HEAD "\"syscalls\":[{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
		 "{\"index\":0,\"value\":4294967296,\"op\":\"SCMP_CMP_GE\"}]}]}");
	struct seccomp_bpf b;

	(void)state;
	compile_ok(and_p, 0, &b);
	assert_int_equal(verdict_on(&b, SCMP_ARCH_X86_64, "kill", 1, 15), ALLOW);
	assert_int_equal(verdict_on(&b, SCMP_ARCH_X86_64, "kill", 1, 9), EPERM_RET);
	assert_int_equal(verdict_on(&b, SCMP_ARCH_X86_64, "kill", 2, 15), EPERM_RET);
	seccomp_bpf_free(&b);
	compile_ok(or_p, 0, &b);
	assert_int_equal(verdict_on(&b, SCMP_ARCH_X86_64, "kill", 1, 9), ALLOW);
	assert_int_equal(verdict_on(&b, SCMP_ARCH_X86_64, "kill", 2, 9), ALLOW);
	assert_int_equal(verdict_on(&b, SCMP_ARCH_X86_64, "kill", 3, 15), ALLOW);
	assert_int_equal(verdict_on(&b, SCMP_ARCH_X86_64, "kill", 3, 9), EPERM_RET);
	seccomp_bpf_free(&b);
	/* 64-bit values compare as 64 bits. */
	compile_ok(big, 0, &b);
	assert_int_equal(verdict_on(&b, SCMP_ARCH_X86_64, "kill", UINT64_C(1) << 32, 0), ALLOW);
	assert_int_equal(verdict_on(&b, SCMP_ARCH_X86_64, "kill", 0xffffffff, 0), EPERM_RET);
	seccomp_bpf_free(&b);
	seccomp_profile_free(and_p);
	seccomp_profile_free(or_p);
	seccomp_profile_free(big);
}

static void test_compile_edges(void **state)
{
	/* Nothing but names this libseccomp does not know: still a filter. */
	struct seccomp_profile *unknown =
	    parse_ok(HEAD "\"syscalls\":[{\"names\":[\"no_such_call\",\"another_one\"],"
			  "\"action\":\"SCMP_ACT_ALLOW\"}]}");
	/* A rule repeating the default action, which libseccomp would refuse. */
	struct seccomp_profile *same =
	    parse_ok("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		     "\"action\":\"SCMP_ACT_ALLOW\"}],"
		     "\"flags\":[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\",\"SECCOMP_FILTER_FLAG_"
		     "TSYNC\"]}");
	/* No architecture listed: this machine's only. */
	struct seccomp_profile *native = parse_ok("{\"defaultAction\":\"SCMP_ACT_LOG\"}");
	struct seccomp_bpf b;

	(void)state;
	compile_ok(unknown, 0, &b);
	assert_int_equal(verdict(&b, "getpid", 0), EPERM_RET);
	seccomp_bpf_free(&b);
	compile_ok(same, 0, &b);
	assert_int_equal(verdict(&b, "read", 0), ALLOW);
	/* WAIT_KILLABLE_RECV needs a listener: dropped, not passed on. */
	assert_int_equal(b.flags, SECCOMP_FILTER_FLAG_TSYNC);
	seccomp_bpf_free(&b);
	compile_ok(native, 0, &b);
	assert_int_equal(verdict(&b, "read", 0), SECCOMP_RET_LOG);
	assert_int_equal(verdict_on(&b, SCMP_ARCH_X86, "read", 0, 0), KILL);
	seccomp_bpf_free(&b);
	seccomp_profile_free(unknown);
	seccomp_profile_free(same);
	seccomp_profile_free(native);
}

/* Argument conditions are bounded before libseccomp sees them (its time
 * grows fast with them): the worst shape within the bound, every one on
 * one call in six-way ANDs, compiles, and one more is refused. */
static void test_compile_condition_limit(void **state)
{
	const int per_rule = SECCOMP_PROFILE_ARGS_MAX;
	const int nrules = SECCOMP_PROFILE_CONDITIONS_MAX / per_rule;
	char *s = NULL, item[128];
	size_t len = 0;
	struct seccomp_profile *p;
	struct seccomp_bpf b;

	(void)state;
	s = append(s, &len, HEAD "\"syscalls\":[");
	for (int i = 0; i <= nrules; i++) {
		s = append(s, &len, i ? ",{" : "{");
		/* The last entry takes the profile one condition past the bound. */
		s = append(s, &len,
			   i == nrules ? "\"names\":[\"kill\",\"tkill\",\"tgkill\",\"read\","
					 "\"write\"]"
				       : "\"names\":[\"kill\"]");
		s = append(s, &len, ",\"action\":\"SCMP_ACT_ALLOW\",\"args\":[");
		for (int k = 0; k < per_rule; k++) {
			/* Values that differ in both halves: nothing to share. */
			snprintf(item, sizeof(item),
				 "%s{\"index\":%d,\"value\":%llu,\"op\":\"SCMP_CMP_EQ\"}",
				 k ? "," : "", k,
				 (unsigned long long)(i + 1) << 32 | (unsigned)(i * per_rule + k));
			s = append(s, &len, item);
		}
		s = append(s, &len, "]}");
		if (i == nrules - 1) {
			/* Within the bound: compiles, and quickly. */
			char *within = strdup(s);
			size_t wlen = len;
			within = append(within, &wlen, "]}");
			p = parse_ok(within);
			compile_ok(p, 0, &b);
			struct seccomp_data d = {.nr = SYS_kill, .arch = AUDIT_ARCH_X86_64};
			for (int k = 0; k < per_rule; k++)
				d.args[k] = UINT64_C(3) << 32 | (unsigned)(2 * per_rule + k);
			assert_int_equal(run_bpf(&b, &d), ALLOW); /* the third entry's */
			d.args[5]++;
			assert_int_equal(run_bpf(&b, &d), EPERM_RET);
			seccomp_bpf_free(&b);
			seccomp_profile_free(p);
			free(within);
		}
	}
	s = append(s, &len, "]}");
	parse_bad(s, len, EFBIG, "more than 256 argument conditions (names times args)");
	free(s);
}

/* --- the default profile --------------------------------------------------- */

static void test_default_profile(void **state)
{
	const struct seccomp_profile *p = seccomp_profile_default();
	struct seccomp_bpf b, all;

	(void)state;
	assert_int_equal(p->default_action, SECCOMP_PROFILE_ACT_ERRNO);
	assert_int_equal(p->default_errno, EPERM);
	compile_ok(p, 0, &b);
	seccomp_bpf_free(&b);
	compile_ok(p, caps_docker_default(), &b);
	compile_ok(p, caps_all(), &all);

	static const char *const allowed[] = {
	    "read",
	    "write",
	    "openat",
	    "close",
	    "execve",
	    "exit_group",
	    "getpid",
	    "mkdir",
	    "rt_sigaction",
	    "futex",
	    "mmap",
	    "epoll_wait",
	    "ptrace",
	    "process_vm_readv",
	    "chroot",
	    "arch_prctl",
	    "modify_ldt",
	    "setuid",
	    "socketpair",
	    "memfd_create",
	    "statx",
	    "io_submit",
	    "landlock_create_ruleset",
	};
	static const char *const refused[] = {
	    "keyctl",
	    "add_key",
	    "request_key",
	    "kexec_load",
	    "kexec_file_load",
	    "userfaultfd",
	    "io_uring_setup",
	    "mount",
	    "umount2",
	    "unshare",
	    "setns",
	    "reboot",
	    "init_module",
	    "finit_module",
	    "delete_module",
	    "acct",
	    "bpf",
	    "perf_event_open",
	    "kcmp",
	    "pidfd_getfd",
	    "iopl",
	    "ioperm",
	    "settimeofday",
	    "clock_settime",
	    "vhangup",
	    "mbind",
	    "syslog",
	    "open_by_handle_at",
	    "swapon",
	    "pivot_root",
	    "sethostname",
	    "fsopen",
	    "open_tree",
	    "quotactl",
	    "lookup_dcookie",
	};
	for (size_t i = 0; i < N(allowed); i++)
		if (verdict(&b, allowed[i], 0) != ALLOW)
			fail_msg("%s refused by the default profile", allowed[i]);
	for (size_t i = 0; i < N(refused); i++)
		if (verdict(&b, refused[i], 0) != EPERM_RET)
			fail_msg("%s not refused by the default profile", refused[i]);
	/* clone: no namespace flags without CAP_SYS_ADMIN; clone3 ENOSYS. */
	assert_int_equal(verdict(&b, "clone", SIGCHLD), ALLOW);
	assert_int_equal(verdict(&b, "clone", 0x3d0f00), ALLOW); /* pthread_create's */
	assert_int_equal(verdict(&b, "clone", CLONE_NEWUSER | SIGCHLD), EPERM_RET);
	assert_int_equal(verdict(&b, "clone", CLONE_NEWNET), EPERM_RET);
	assert_int_equal(verdict(&b, "clone3", 0), ENOSYS_RET);
	/* socket: all but AF_VSOCK. */
	assert_int_equal(verdict(&b, "socket", AF_UNIX), ALLOW);
	assert_int_equal(verdict(&b, "socket", AF_INET6), ALLOW);
	assert_int_equal(verdict(&b, "socket", AF_VSOCK), EPERM_RET);
	/* personality: the five harmless values only. */
	static const uint64_t personas[] = {0, 8, 0x20000, 0x20008, 0xffffffff};
	for (size_t i = 0; i < N(personas); i++)
		assert_int_equal(verdict(&b, "personality", personas[i]), ALLOW);
	assert_int_equal(verdict(&b, "personality", 0x0040000), EPERM_RET); /* ADDR_NO_RANDOMIZE */
	/* x86 and x32 programs are judged too, not killed. */
	assert_int_equal(verdict_on(&b, SCMP_ARCH_X86, "mkdir", 0, 0), ALLOW);
	assert_int_equal(verdict_on(&b, SCMP_ARCH_X86, "socketcall", 0, 0), ALLOW);
	assert_int_equal(verdict_on(&b, SCMP_ARCH_X86, "keyctl", 0, 0), EPERM_RET);
	assert_int_equal(verdict_on(&b, SCMP_ARCH_X32, "getpid", 0, 0), ALLOW);
	assert_int_equal(verdict_on(&b, SCMP_ARCH_X32, "unshare", 0, 0), EPERM_RET);
	assert_int_equal(verdict_on(&b, SCMP_ARCH_AARCH64, "getpid", 0, 0), KILL);

	/* With every capability, what they gate opens; the rest stays shut. */
	static const char *const opened[] = {
	    "mount",	   "unshare", "setns",	      "reboot", "bpf",
	    "clone3",	   "kcmp",    "settimeofday", "syslog", "open_by_handle_at",
	    "init_module", "iopl"};
	for (size_t i = 0; i < N(opened); i++)
		if (verdict(&all, opened[i], 0) != ALLOW)
			fail_msg("%s refused with every capability", opened[i]);
	assert_int_equal(verdict(&all, "clone", CLONE_NEWUSER | SIGCHLD), ALLOW);
	assert_int_equal(verdict(&all, "keyctl", 0), EPERM_RET);
	assert_int_equal(verdict(&all, "kexec_load", 0), EPERM_RET);
	assert_int_equal(verdict(&all, "socket", AF_VSOCK), EPERM_RET);
	seccomp_bpf_free(&b);
	seccomp_bpf_free(&all);
}

/* --- for real ------------------------------------------------------------------ */

static int mkdir_checks(void)
{
	int fd[2];

	/* Filtered: EPERM, where the kernel would have said ENOENT. */
	EXPECT(1, fails_with(mkdir("/nonexistent-launcher-test/x", 0700), EPERM));
	EXPECT(2, fails_with(syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent-launcher-test/x", 0700),
			     EPERM));
	EXPECT(3, fails_with(rmdir("/nonexistent-launcher-test/x"), ENOENT));
	EXPECT(4, pipe(fd) == 0 && write(fd[1], "x", 1) == 1);
	return 0;
}

static int default_checks(void)
{
	int fd[2], s;

	EXPECT(1, syscall(SYS_getpid) == getpid() && getpid() > 1);
	EXPECT(2, pipe(fd) == 0 && write(fd[1], "x", 1) == 1);
	/* keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) */
	EXPECT(3, fails_with(syscall(SYS_keyctl, 0, -3, 0), EPERM));
	EXPECT(4, fails_with(unshare(CLONE_NEWNS), EPERM));
	EXPECT(5, fails_with(mount("none", "/nonexistent-launcher-test", "tmpfs", 0, NULL), EPERM));
	EXPECT(6, fails_with(syscall(SYS_clone3, NULL, 0), ENOSYS));
	EXPECT(7, fails_with(socket(AF_VSOCK, SOCK_STREAM, 0), EPERM));
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	EXPECT(8, s >= 0);
	close(s);
	EXPECT(9, fails_with(syscall(SYS_add_key, "user", "x", "y", 1, -3), EPERM));
	EXPECT(10, fails_with(syscall(SYS_reboot, 0, 0, 0, NULL), EPERM));
	return 0;
}

/* Every capability: clone3 reaches the kernel, which refuses its NULL. */
static int all_caps_checks(void)
{
	EXPECT(1, syscall(SYS_clone3, NULL, 0) == -1 && errno != ENOSYS);
	EXPECT(2, fails_with(syscall(SYS_keyctl, 0, -3, 0), EPERM));
	EXPECT(3, getpid() > 1);
	return 0;
}

static void test_installed(void **state)
{
	struct seccomp_profile *p = parse_ok(block_mkdir);
	struct seccomp_bpf b;

	(void)state;
	compile_ok(p, caps_docker_default(), &b);
	assert_int_equal(run_confined(&b, mkdir_checks), 0);
	seccomp_bpf_free(&b);
	seccomp_profile_free(p);

	compile_ok(seccomp_profile_default(), caps_docker_default(), &b);
	assert_int_equal(run_confined(&b, default_checks), 0);
	seccomp_bpf_free(&b);

	compile_ok(seccomp_profile_default(), caps_all(), &b);
	assert_int_equal(run_confined(&b, all_caps_checks), 0);
	seccomp_bpf_free(&b);
}

/* The flags the profile asks for reach seccomp(2), which accepts them. */
static int log_checks(void)
{
	EXPECT(1, fails_with(mkdir("/nonexistent-launcher-test", 0700), EPERM));
	return 0;
}

static void test_installed_flags(void **state)
{
	struct seccomp_profile *p =
	    parse_ok("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\","
		     "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],\"syscalls\":[{\"names\":[\"mkdir\"],"
		     "\"action\":\"SCMP_ACT_ERRNO\"}]}");
	struct seccomp_bpf b;

	(void)state;
	compile_ok(p, 0, &b);
	assert_int_equal(b.flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW);
	assert_int_equal(run_confined(&b, log_checks), 0);
	seccomp_bpf_free(&b);
	seccomp_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_docker),
	    cmocka_unit_test(test_parse_oci),
	    cmocka_unit_test(test_parse_vocabulary),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_parse_limits),
	    cmocka_unit_test(test_compile_docker_by_caps),
	    cmocka_unit_test(test_compile_oci),
	    cmocka_unit_test(test_compile_conditions),
	    cmocka_unit_test(test_compile_args),
	    cmocka_unit_test(test_compile_edges),
	    cmocka_unit_test(test_compile_condition_limit),
	    cmocka_unit_test(test_default_profile),
	    cmocka_unit_test(test_installed),
	    cmocka_unit_test(test_installed_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
