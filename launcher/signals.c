#include "signals.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

static const struct {
	const char *name;
	int sig;
} names[] = {
    {"HUP", SIGHUP},	 {"INT", SIGINT},	{"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},	 {"ABRT", SIGABRT},	{"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},	 {"KILL", SIGKILL},	{"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},	 {"PIPE", SIGPIPE},	{"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},	{"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},	 {"TTIN", SIGTTIN},	{"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},	 {"XFSZ", SIGXFSZ},	{"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH}, {"IO", SIGIO},		{"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

int signal_parse(const char *s)
{
	char *end;
	long n;

	if (!s || !*s)
		return -1;
	if (s[0] >= '0' && s[0] <= '9') {
		n = strtol(s, &end, 10);
		return *end == '\0' && n >= 1 && n <= 64 ? (int)n : -1;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].sig;
	/* RTMIN+n, RTMAX-n */
	if (strncasecmp(s, "RTMIN+", 6) == 0 || strncasecmp(s, "RTMAX-", 6) == 0) {
		n = strtol(s + 6, &end, 10);
		if (*end || s[6] < '0' || s[6] > '9')
			return -1;
		n = toupper((unsigned char)s[3]) == 'I' ? SIGRTMIN + n : SIGRTMAX - n;
		return n >= SIGRTMIN && n <= SIGRTMAX ? (int)n : -1;
	}
	return -1;
}

const char *signal_name(int sig, char *buf, unsigned size)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (names[i].sig == sig) {
			snprintf(buf, size, "SIG%s", names[i].name);
			return buf;
		}
	snprintf(buf, size, "SIG%d", sig);
	return buf;
}
