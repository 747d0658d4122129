#include "guest-memory.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void guest_memory_init(struct guest_memory *m)
{
	memset(m, 0, sizeof(*m));
}

void guest_memory_clear(struct guest_memory *m)
{
	for (unsigned i = 0; i < m->nregions; i++)
		if (m->regions[i].map)
			munmap(m->regions[i].map, m->regions[i].map_len);
	guest_memory_init(m);
}

/* True if [start, start + len) is a valid non-empty range of 64-bit space. */
static bool range_ok(uint64_t start, uint64_t len)
{
	return len > 0 && len - 1 <= UINT64_MAX - start;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a - b < blen || b - a < alen;
}

static int check_region(const struct guest_memory *m, uint64_t gpa, uint64_t size, uint64_t uva)
{
	if (m->nregions >= GUEST_MEMORY_MAX_REGIONS)
		return -E2BIG;
	if (!range_ok(gpa, size) || !range_ok(uva, size) || size > SIZE_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < m->nregions; i++)
		if (ranges_overlap(gpa, size, m->regions[i].gpa, m->regions[i].size))
			return -EINVAL;
	return 0;
}

int guest_memory_add_host(struct guest_memory *m, uint64_t gpa, uint64_t size, uint64_t uva,
			  void *host)
{
	int r = check_region(m, gpa, size, uva);

	if (r < 0)
		return r;
	m->regions[m->nregions++] =
	    (struct guest_region){.gpa = gpa, .size = size, .uva = uva, .host = host};
	return 0;
}

int guest_memory_map_region(struct guest_memory *m, uint64_t gpa, uint64_t size, uint64_t uva,
			    uint64_t mmap_offset, int fd)
{
	struct stat st;
	int r = check_region(m, gpa, size, uva);

	if (r < 0)
		return r;
	if (mmap_offset > SIZE_MAX - size)
		return -EINVAL;
	/* Touching a mapping past the end of the file raises SIGBUS: refuse a
	 * file too short for the region instead. */
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < mmap_offset + size)
		return -EINVAL;

	/* Map from the page that holds the region's first byte, not from the
	 * start of the file: the other regions may share it. */
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t map_offset = mmap_offset & ~(page - 1);
	size_t len = (size_t)(size + (mmap_offset - map_offset));
	void *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)map_offset);
	if (map == MAP_FAILED)
		return -errno;
	m->regions[m->nregions++] = (struct guest_region){
	    .gpa = gpa,
	    .size = size,
	    .uva = uva,
	    .host = (uint8_t *)map + (mmap_offset - map_offset),
	    .map = map,
	    .map_len = len,
	};
	return 0;
}

/* The region holding addr (as a gpa or a uva), and the bytes left in it. */
static const struct guest_region *find(const struct guest_memory *m, uint64_t addr, bool by_uva,
				       uint64_t *ret_offset)
{
	for (unsigned i = 0; i < m->nregions; i++) {
		const struct guest_region *r = &m->regions[i];
		uint64_t base = by_uva ? r->uva : r->gpa;

		if (addr >= base && addr - base < r->size) {
			*ret_offset = addr - base;
			return r;
		}
	}
	return NULL;
}

static void *translate(const struct guest_memory *m, uint64_t addr, uint64_t len, bool by_uva)
{
	uint64_t off;
	const struct guest_region *r = find(m, addr, by_uva, &off);

	if (!r || len > r->size - off)
		return NULL;
	return r->host + off;
}

void *guest_memory_gpa(const struct guest_memory *m, uint64_t gpa, uint64_t len)
{
	return translate(m, gpa, len, false);
}

void *guest_memory_uva(const struct guest_memory *m, uint64_t uva, uint64_t len)
{
	return translate(m, uva, len, true);
}

int guest_memory_gpa_iov(const struct guest_memory *m, uint64_t gpa, uint64_t len,
			 struct iovec *iov, unsigned max)
{
	unsigned n = 0;

	if (len > 0 && !range_ok(gpa, len))
		return -EFAULT;
	while (len > 0) {
		uint64_t off;
		const struct guest_region *r = find(m, gpa, false, &off);

		if (!r)
			return -EFAULT;
		if (n == max)
			return -ENOBUFS;
		uint64_t part = r->size - off < len ? r->size - off : len;
		iov[n].iov_base = r->host + off;
		iov[n].iov_len = (size_t)part;
		n++;
		gpa += part;
		len -= part;
	}
	return (int)n;
}
