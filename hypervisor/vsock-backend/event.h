/* Event sources for one epoll loop: every fd in the loop is registered with
 * a pointer to a struct event_source embedded in the object that owns it. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>

struct event_source;

/* Returned by a dispatch function to end the loop normally. */
#define EVENT_QUIT 1

/* Returns 0, EVENT_QUIT, or a negative errno for a fatal error that ends
 * the loop. */
typedef int (*event_dispatch_fn)(struct event_source *src, uint32_t events);

struct event_source {
	event_dispatch_fn dispatch;
};

static inline int event_ctl(int epfd, int op, int fd, uint32_t events, struct event_source *src)
{
	struct epoll_event ev = {.events = events, .data.ptr = src};

	return epoll_ctl(epfd, op, fd, &ev) < 0 ? -errno : 0;
}

static inline int event_add(int epfd, int fd, uint32_t events, struct event_source *src)
{
	return event_ctl(epfd, EPOLL_CTL_ADD, fd, events, src);
}

static inline int event_mod(int epfd, int fd, uint32_t events, struct event_source *src)
{
	return event_ctl(epfd, EPOLL_CTL_MOD, fd, events, src);
}

static inline int event_del(int epfd, int fd)
{
	return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
}

/* Monotonic time in milliseconds, for deadlines. */
static inline uint64_t event_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Arms a timerfd to tick every interval_ms, or disarms it with 0. */
static inline int event_timer_set(int fd, unsigned interval_ms)
{
	struct itimerspec its = {0};

	its.it_interval.tv_sec = interval_ms / 1000;
	its.it_interval.tv_nsec = (long)(interval_ms % 1000) * 1000000L;
	its.it_value = its.it_interval;
	return timerfd_settime(fd, 0, &its, NULL) < 0 ? -errno : 0;
}
