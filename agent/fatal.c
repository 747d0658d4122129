#include "fatal.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "console.h"

noreturn void agent_fatal(const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	console_log("fatal: %s", msg);
	if (getpid() != 1)
		_exit(1);
	agent_power_off();
}

noreturn void agent_power_off(void)
{
	if (getpid() != 1)
		_exit(0);
	sync();
	reboot(RB_POWER_OFF);
	/* Still here: PID 1 exiting panics the kernel, and with panic=-1 and
	 * no reboot allowed the VM ends all the same. */
	console_log("power off failed: %m; exiting to end the VM");
	_exit(1);
}
