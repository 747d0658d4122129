/* The agent's event loop: one epoll instance, level-triggered, with a
 * small callback record per watched fd. Owners embed a struct watch and
 * find themselves again with watch_owner(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct watch;
typedef void (*watch_fn)(struct watch *w, uint32_t events);

struct watch {
	int fd;
	watch_fn fn;
	uint32_t events; /* what the loop watches for, kept by the loop_* calls */
	bool added;
};

struct loop {
	int epfd;
};

/* clang-format off: it takes the macro for a cast */
#define watch_owner(w, type, member) ((type *)((char *)(w)-offsetof(type, member)))
/* clang-format on */

int loop_init(struct loop *l, struct error *e);
int loop_add(struct loop *l, struct watch *w, uint32_t events, struct error *e);
int loop_modify(struct loop *l, struct watch *w, uint32_t events, struct error *e);
/* Forgets w (the caller closes the fd). */
void loop_remove(struct loop *l, struct watch *w);
/* Watches w for events, adding it as needed; with events 0 it leaves the
 * set, since epoll reports hang-ups even to an fd that asks for nothing
 * (and a level-triggered hang-up nobody consumes would spin the loop). */
int loop_set(struct loop *l, struct watch *w, uint32_t events, struct error *e);
/* Dispatches events until an epoll error, which it returns. */
int loop_run(struct loop *l, struct error *e);
