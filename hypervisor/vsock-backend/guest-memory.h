/* Guest RAM as the vhost-user front-end shares it: up to 8 regions, each
 * known by its guest-physical address (what descriptors carry) and by the
 * front-end's virtual address (what SET_VRING_ADDR carries).
 *
 * Every translation checks that the whole range lies in mapped memory, with
 * arithmetic that cannot overflow: the guest chooses the addresses. */
#pragma once

#include <stdint.h>
#include <sys/uio.h>

#define GUEST_MEMORY_MAX_REGIONS 8

struct guest_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint8_t *host; /* our address of the region's first byte */
	void *map;     /* what to munmap(), NULL if the memory is not ours */
	size_t map_len;
};

struct guest_memory {
	struct guest_region regions[GUEST_MEMORY_MAX_REGIONS];
	unsigned nregions;
};

void guest_memory_init(struct guest_memory *m);

/* Unmaps every region this table mapped. */
void guest_memory_clear(struct guest_memory *m);

/* Maps size bytes at mmap_offset of fd (shared, read-write) as the region
 * [gpa, gpa + size). The fd stays the caller's. Returns 0, -EINVAL for a
 * range that overflows or overlaps another region, -E2BIG when the table is
 * full, or the error of fstat/mmap. */
int guest_memory_map_region(struct guest_memory *m, uint64_t gpa, uint64_t size, uint64_t uva,
			    uint64_t mmap_offset, int fd);

/* Adds memory the caller owns (tests). Same checks as above. */
int guest_memory_add_host(struct guest_memory *m, uint64_t gpa, uint64_t size, uint64_t uva,
			  void *host);

/* Our address of [gpa, gpa + len) if the range lies in one region, else NULL. */
void *guest_memory_gpa(const struct guest_memory *m, uint64_t gpa, uint64_t len);

/* The same for a range of the front-end's virtual addresses. */
void *guest_memory_uva(const struct guest_memory *m, uint64_t uva, uint64_t len);

/* Maps [gpa, gpa + len) into at most max iovecs (more than one when the
 * range spans adjacent regions). Returns the number of entries, -EFAULT if
 * a byte of the range is not guest memory, -ENOBUFS if max is too small. */
int guest_memory_gpa_iov(const struct guest_memory *m, uint64_t gpa, uint64_t len,
			 struct iovec *iov, unsigned max);
