#include "loop.h"

#include <errno.h>
#include <sys/epoll.h>

#define LOOP_BATCH 32

int loop_init(struct loop *l, struct error *e)
{
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return error_errno(e, errno, "epoll_create1");
	return 0;
}

static int ctl(struct loop *l, int op, struct watch *w, uint32_t events, struct error *e)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	if (epoll_ctl(l->epfd, op, w->fd, &ev) < 0)
		return error_errno(e, errno, "epoll_ctl on fd %d", w->fd);
	return 0;
}

int loop_add(struct loop *l, struct watch *w, uint32_t events, struct error *e)
{
	if (ctl(l, EPOLL_CTL_ADD, w, events, e) < 0)
		return -e->code;
	w->events = events;
	w->added = true;
	return 0;
}

int loop_modify(struct loop *l, struct watch *w, uint32_t events, struct error *e)
{
	if (ctl(l, EPOLL_CTL_MOD, w, events, e) < 0)
		return -e->code;
	w->events = events;
	return 0;
}

void loop_remove(struct loop *l, struct watch *w)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->added = false;
	w->events = 0;
}

int loop_set(struct loop *l, struct watch *w, uint32_t events, struct error *e)
{
	if (!events) {
		if (w->added)
			loop_remove(l, w);
		return 0;
	}
	if (!w->added)
		return loop_add(l, w, events, e);
	if (events == w->events)
		return 0;
	return loop_modify(l, w, events, e);
}

int loop_run(struct loop *l, struct error *e)
{
	struct epoll_event evs[LOOP_BATCH];

	for (;;) {
		int n = epoll_wait(l->epfd, evs, LOOP_BATCH, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return error_errno(e, errno, "epoll_wait");
		}
		/* A handler frees only its own watch, and an fd appears once
		 * per batch, so later entries stay valid. */
		for (int i = 0; i < n; i++) {
			struct watch *w = evs[i].data.ptr;
			w->fn(w, evs[i].events);
		}
	}
}
