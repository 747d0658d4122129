/* The verbs of the launcher CLI, one file each (cmd-<verb>.c). Each takes
 * argv starting at its own name, prints its own output and returns the
 * process exit code. */
#pragma once

int cmd_attach(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_container(int argc, char **argv);
int cmd_container_prune(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_oci(int argc, char **argv);
int cmd_port(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_diag(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_image_inspect(int argc, char **argv);
int cmd_image_prune(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_volume(int argc, char **argv);

#include "exit-status.h"

/* The image verbs (rmi, tag, save, image inspect) exit 1 when an image is
 * not found, as Docker's do ("Error: No such image: X"); their other
 * failures are EXIT_LAUNCHER, as everywhere else. */
#define EXIT_NO_SUCH_IMAGE 1

/* Prints "launcher: MSG" to stderr. */
void launcher_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
