/* Unit tests of the split virtqueue and guest memory translation of the
 * vhost-user-vsock back-end, on rings built by hand in a fake guest RAM.
 * The "guest" here is hostile: every malformed ring must be refused with
 * an error, without touching memory outside the region. */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest-memory.h"
#include "log.h"
#include "virtqueue.h"

#define MEM_SIZE (1 << 20)
#define GPA_BASE 0x100000ull
#define UVA_BASE 0x7f0000000000ull
#define NUM 16
#define DESC_OFF 0x0
#define AVAIL_OFF 0x1000
#define USED_OFF 0x2000
#define BUF_OFF 0x10000

#define F_NEXT 1
#define F_WRITE 2
#define F_INDIRECT 4

struct fake {
	uint8_t *mem;
	struct guest_memory gm;
	struct virtqueue vq;
};

static uint64_t gpa(uint64_t off)
{
	return GPA_BASE + off;
}

static void set_desc(struct fake *f, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint8_t *d = f->mem + DESC_OFF + 16 * i;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* Makes `head` available at the current avail index and publishes it. */
static void avail_add(struct fake *f, uint16_t head)
{
	uint16_t idx = get16(f->mem + AVAIL_OFF + 2);

	put16(f->mem + AVAIL_OFF + 4 + 2 * (idx % NUM), head);
	put16(f->mem + AVAIL_OFF + 2, idx + 1);
}

static void used_elem(struct fake *f, unsigned slot, uint32_t *id, uint32_t *len)
{
	memcpy(id, f->mem + USED_OFF + 4 + 8 * slot, 4);
	memcpy(len, f->mem + USED_OFF + 8 + 8 * slot, 4);
}

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));

	log_set_quiet(true);
	f->mem = aligned_alloc(4096, MEM_SIZE);
	memset(f->mem, 0, MEM_SIZE);
	guest_memory_init(&f->gm);
	assert_int_equal(guest_memory_add_host(&f->gm, GPA_BASE, MEM_SIZE, UVA_BASE, f->mem), 0);
	vq_init(&f->vq, 0);
	assert_int_equal(vq_set_num(&f->vq, NUM), 0);
	assert_int_equal(vq_set_addr(&f->vq, &f->gm, UVA_BASE + DESC_OFF, UVA_BASE + AVAIL_OFF,
				     UVA_BASE + USED_OFF),
			 0);
	f->vq.started = true;
	f->vq.enabled = true;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	vq_reset(&f->vq);
	free(f->mem);
	free(f);
	return 0;
}

static void expect_broken(struct fake *f)
{
	struct vq_elem e;

	assert_int_equal(vq_pop(&f->vq, &f->gm, &e), -EIO);
	assert_true(f->vq.broken);
	/* And it stays broken, without looking at the ring again. */
	assert_int_equal(vq_pop(&f->vq, &f->gm, &e), -EIO);
	assert_false(vq_ready(&f->vq));
}

static void test_empty(void **state)
{
	struct fake *f = *state;
	struct vq_elem e;

	assert_int_equal(vq_pop(&f->vq, &f->gm, &e), 0);
}

static void test_not_ready(void **state)
{
	struct fake *f = *state;
	struct vq_elem e;

	set_desc(f, 0, gpa(BUF_OFF), 100, 0, 0);
	avail_add(f, 0);
	f->vq.enabled = false;
	assert_int_equal(vq_pop(&f->vq, &f->gm, &e), 0);
	f->vq.enabled = true;
	f->vq.started = false;
	assert_int_equal(vq_pop(&f->vq, &f->gm, &e), 0);
	f->vq.started = true;
	assert_int_equal(vq_pop(&f->vq, &f->gm, &e), 1);
}

static void test_single_readable(void **state)
{
	struct fake *f = *state;
	struct vq_elem e;

	set_desc(f, 3, gpa(BUF_OFF), 100, 0, 0);
	avail_add(f, 3);
	assert_int_equal(vq_pop(&f->vq, &f->gm, &e), 1);
	assert_int_equal(e.head, 3);
	assert_int_equal(e.out_num, 1);
	assert_int_equal(e.in_num, 0);
	assert_int_equal(e.out_len, 100);
	assert_ptr_equal(e.iov[0].iov_base, f->mem + BUF_OFF);
	assert_int_equal(e.iov[0].iov_len, 100);
	assert_int_equal(vq_pop(&f->vq, &f->gm, &e), 0);
}

static void test_chain_read_then_write(void **state)
{
	struct fake *f = *state;
	struct vq_elem e;

	set_desc(f, 0, gpa(BUF_OFF), 44, F_NEXT, 5);
	set_desc(f, 5, gpa(BUF_OFF + 100), 10, F_NEXT, 2);
	set_desc(f, 2, gpa(BUF_OFF + 200), 4096, F_NEXT | F_WRITE, 7);
	set_desc(f, 7, gpa(BUF_OFF + 8192), 0, F_NEXT | F_WRITE, 9); /* empty: skipped */
	set_desc(f, 9, gpa(BUF_OFF + 9000), 50, F_WRITE, 0);
	avail_add(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->gm, &e), 1);
	assert_int_equal(e.head, 0);
	assert_int_equal(e.out_num, 2);
	assert_int_equal(e.out_len, 54);
	assert_int_equal(e.in_num, 2);
	assert_int_equal(e.in_len, 4146);
	assert_ptr_equal(e.iov[1].iov_base, f->mem + BUF_OFF + 100);
	assert_ptr_equal(e.iov[2].iov_base, f->mem + BUF_OFF + 200);
	assert_ptr_equal(e.iov[3].iov_base, f->mem + BUF_OFF + 9000);
	assert_int_equal(e.iov[3].iov_len, 50);
}

static void test_buffer_past_region_end(void **state)
{
	struct fake *f = *state;

	set_desc(f, 0, gpa(MEM_SIZE - 10), 20, 0, 0);
	avail_add(f, 0);
	expect_broken(f);
}

static void test_buffer_at_region_end_ok(void **state)
{
	struct fake *f = *state;
	struct vq_elem e;

	set_desc(f, 0, gpa(MEM_SIZE - 20), 20, 0, 0);
	avail_add(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->gm, &e), 1);
	assert_ptr_equal(e.iov[0].iov_base, f->mem + MEM_SIZE - 20);
}

static void test_buffer_wraps_u64(void **state)
{
	struct fake *f = *state;

	set_desc(f, 0, UINT64_MAX - 5, 100, 0, 0);
	avail_add(f, 0);
	expect_broken(f);
}

static void test_buffer_wraps_into_region(void **state)
{
	struct fake *f = *state;

	/* Wrapping past 2^64 would land at the region if unchecked. */
	set_desc(f, 0, UINT64_MAX - 0xff, 0xffffffff, 0, 0);
	avail_add(f, 0);
	expect_broken(f);
}

static void test_buffer_below_region(void **state)
{
	struct fake *f = *state;

	set_desc(f, 0, GPA_BASE - 8, 16, 0, 0);
	avail_add(f, 0);
	expect_broken(f);
}

static void test_length_past_region(void **state)
{
	struct fake *f = *state;

	set_desc(f, 0, gpa(BUF_OFF), 0xffffffff, F_WRITE, 0);
	avail_add(f, 0);
	expect_broken(f);
}

static void test_loop_two(void **state)
{
	struct fake *f = *state;

	set_desc(f, 1, gpa(BUF_OFF), 8, F_NEXT, 2);
	set_desc(f, 2, gpa(BUF_OFF), 8, F_NEXT, 1);
	avail_add(f, 1);
	expect_broken(f);
}

static void test_self_loop(void **state)
{
	struct fake *f = *state;

	set_desc(f, 4, gpa(BUF_OFF), 0, F_NEXT, 4); /* empty buffers use no iovec */
	avail_add(f, 4);
	expect_broken(f);
}

static void test_longest_chain_ok(void **state)
{
	struct fake *f = *state;
	struct vq_elem e;

	for (unsigned i = 0; i < NUM; i++)
		set_desc(f, i, gpa(BUF_OFF + 64 * i), 64, i + 1 < NUM ? F_NEXT : 0, i + 1);
	avail_add(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->gm, &e), 1);
	assert_int_equal(e.out_num, NUM);
	assert_int_equal(e.out_len, 64 * NUM);
}

static void test_next_out_of_range(void **state)
{
	struct fake *f = *state;

	set_desc(f, 0, gpa(BUF_OFF), 8, F_NEXT, NUM);
	avail_add(f, 0);
	expect_broken(f);
}

static void test_head_out_of_range(void **state)
{
	struct fake *f = *state;

	avail_add(f, NUM + 3);
	expect_broken(f);
}

static void test_writable_before_readable(void **state)
{
	struct fake *f = *state;

	set_desc(f, 0, gpa(BUF_OFF), 8, F_NEXT | F_WRITE, 1);
	set_desc(f, 1, gpa(BUF_OFF + 8), 8, 0, 0);
	avail_add(f, 0);
	expect_broken(f);
}

static void test_indirect_refused(void **state)
{
	struct fake *f = *state;

	set_desc(f, 0, gpa(BUF_OFF), 32, F_INDIRECT, 0);
	avail_add(f, 0);
	expect_broken(f);
}

static void test_avail_jump(void **state)
{
	struct fake *f = *state;

	set_desc(f, 0, gpa(BUF_OFF), 8, 0, 0);
	put16(f->mem + AVAIL_OFF + 2, NUM + 1);
	expect_broken(f);
}

static void test_avail_full_ring_ok(void **state)
{
	struct fake *f = *state;
	struct vq_elem e;

	for (unsigned i = 0; i < NUM; i++) {
		set_desc(f, i, gpa(BUF_OFF + 64 * i), 64, 0, 0);
		avail_add(f, (uint16_t)i);
	}
	for (unsigned i = 0; i < NUM; i++) {
		assert_int_equal(vq_pop(&f->vq, &f->gm, &e), 1);
		assert_int_equal(e.head, i);
	}
	assert_int_equal(vq_pop(&f->vq, &f->gm, &e), 0);
}

static void test_used_push(void **state)
{
	struct fake *f = *state;
	uint32_t id, len;

	vq_push(&f->vq, 5, 1234);
	vq_push(&f->vq, 2, 0);
	assert_int_equal(get16(f->mem + USED_OFF + 2), 2);
	used_elem(f, 0, &id, &len);
	assert_int_equal(id, 5);
	assert_int_equal(len, 1234);
	used_elem(f, 1, &id, &len);
	assert_int_equal(id, 2);
	assert_int_equal(len, 0);
}

/* Indices are free-running 16-bit counters: they wrap past 65535 while the
 * ring slots wrap modulo the size. */
static void test_index_wrap(void **state)
{
	struct fake *f = *state;
	struct vq_elem e;
	uint32_t id, len;

	put16(f->mem + AVAIL_OFF + 2, 65534);
	put16(f->mem + USED_OFF + 2, 65534);
	assert_int_equal(vq_set_addr(&f->vq, &f->gm, UVA_BASE + DESC_OFF, UVA_BASE + AVAIL_OFF,
				     UVA_BASE + USED_OFF),
			 0);
	vq_set_base(&f->vq, 65534);
	for (unsigned i = 0; i < 4; i++) {
		set_desc(f, i, gpa(BUF_OFF + 64 * i), 64, F_WRITE, 0);
		avail_add(f, (uint16_t)i);
	}
	assert_int_equal(get16(f->mem + AVAIL_OFF + 2), 2);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(vq_pop(&f->vq, &f->gm, &e), 1);
		assert_int_equal(e.head, i);
		vq_push(&f->vq, e.head, 10 + i);
	}
	assert_int_equal(vq_pop(&f->vq, &f->gm, &e), 0);
	assert_int_equal(get16(f->mem + USED_OFF + 2), 2);
	/* Slots 65534 % 16 = 14, 15, then 0, 1. */
	used_elem(f, 14, &id, &len);
	assert_int_equal(id, 0);
	used_elem(f, 1, &id, &len);
	assert_int_equal(id, 3);
	assert_int_equal(len, 13);
}

static void test_unpop(void **state)
{
	struct fake *f = *state;
	struct vq_elem e;

	for (unsigned i = 0; i < 3; i++) {
		set_desc(f, i, gpa(BUF_OFF + 64 * i), 64, F_WRITE, 0);
		avail_add(f, (uint16_t)i);
	}
	assert_int_equal(vq_pop(&f->vq, &f->gm, &e), 1);
	assert_int_equal(vq_pop(&f->vq, &f->gm, &e), 1);
	assert_int_equal(vq_pop(&f->vq, &f->gm, &e), 1);
	vq_unpop(&f->vq, 2);
	assert_int_equal(vq_pop(&f->vq, &f->gm, &e), 1);
	assert_int_equal(e.head, 1);
}

static void test_notify(void **state)
{
	struct fake *f = *state;
	uint64_t count = 0;
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	assert_true(efd >= 0);
	f->vq.call_fd = efd;
	vq_notify(&f->vq); /* nothing pushed: no signal */
	assert_int_equal(read(efd, &count, 8), -1);
	vq_push(&f->vq, 0, 0);
	vq_push(&f->vq, 1, 0);
	vq_push(&f->vq, 2, 0);
	vq_notify(&f->vq);
	vq_notify(&f->vq);
	assert_int_equal(read(efd, &count, 8), 8);
	assert_int_equal(count, 1);   /* once per batch */
	put16(f->mem + AVAIL_OFF, 1); /* VRING_AVAIL_F_NO_INTERRUPT */
	vq_push(&f->vq, 3, 0);
	vq_notify(&f->vq);
	assert_int_equal(read(efd, &count, 8), -1);
}

static void test_set_num(void **state)
{
	struct virtqueue vq;

	vq_init(&vq, 0);
	assert_int_equal(vq_set_num(&vq, 0), -EINVAL);
	assert_int_equal(vq_set_num(&vq, 3), -EINVAL);
	assert_int_equal(vq_set_num(&vq, 65536), -EINVAL);
	assert_int_equal(vq_set_num(&vq, 1u << 31), -EINVAL);
	assert_int_equal(vq_set_num(&vq, 32768), 0);
	assert_int_equal(vq_set_num(&vq, 1), 0);
}

static void test_set_addr_checks(void **state)
{
	struct fake *f = *state;
	struct virtqueue vq;

	vq_init(&vq, 1);
	/* Size first. */
	assert_int_equal(vq_set_addr(&vq, &f->gm, UVA_BASE, UVA_BASE + 0x1000, UVA_BASE + 0x2000),
			 -EINVAL);
	assert_int_equal(vq_set_num(&vq, 256), 0);
	/* Used ring runs past the end of memory. */
	assert_int_equal(
	    vq_set_addr(&vq, &f->gm, UVA_BASE, UVA_BASE + 0x1000, UVA_BASE + MEM_SIZE - 8),
	    -EINVAL);
	/* A guest-physical address is not a front-end address. */
	assert_int_equal(vq_set_addr(&vq, &f->gm, GPA_BASE, GPA_BASE + 0x1000, GPA_BASE + 0x2000),
			 -EINVAL);
	/* Misaligned. */
	assert_int_equal(
	    vq_set_addr(&vq, &f->gm, UVA_BASE + 8, UVA_BASE + 0x1000, UVA_BASE + 0x2000), -EINVAL);
	assert_int_equal(vq_set_addr(&vq, &f->gm, UVA_BASE, UVA_BASE + 0x1001, UVA_BASE + 0x2000),
			 -EINVAL);
	assert_int_equal(vq_set_addr(&vq, &f->gm, UVA_BASE, UVA_BASE + 0x1000, UVA_BASE + 0x2002),
			 -EINVAL);
	/* Wrapping. */
	assert_int_equal(
	    vq_set_addr(&vq, &f->gm, UINT64_MAX - 15, UVA_BASE + 0x1000, UVA_BASE + 0x2000),
	    -EINVAL);
	assert_int_equal(vq_set_addr(&vq, &f->gm, UVA_BASE, UVA_BASE + 0x1000, UVA_BASE + 0x2000),
			 0);
	vq_reset(&vq);
}

static void test_too_many_buffers(void **state)
{
	struct fake *f = *state;
	struct virtqueue vq;
	struct vq_elem e;
	const unsigned num = 128;

	vq_init(&vq, 0);
	assert_int_equal(vq_set_num(&vq, num), 0);
	assert_int_equal(
	    vq_set_addr(&vq, &f->gm, UVA_BASE + 0x4000, UVA_BASE + 0x1000, UVA_BASE + 0x2000), 0);
	vq.started = vq.enabled = true;
	/* A chain within the size but with more buffers than we take. */
	for (unsigned i = 0; i < VQ_MAX_IOV + 1; i++) {
		uint8_t *d = f->mem + 0x4000 + 16 * i;
		uint64_t addr = gpa(BUF_OFF + 8 * i);
		uint32_t len = 8;
		uint16_t flags = i < VQ_MAX_IOV ? F_NEXT : 0, next = (uint16_t)(i + 1);

		memcpy(d, &addr, 8);
		memcpy(d + 8, &len, 4);
		memcpy(d + 12, &flags, 2);
		memcpy(d + 14, &next, 2);
	}
	put16(f->mem + AVAIL_OFF + 4, 0);
	put16(f->mem + AVAIL_OFF + 2, 1);
	assert_int_equal(vq_pop(&vq, &f->gm, &e), -EIO);
	vq_reset(&vq);
}

static void test_buffer_across_regions(void **state)
{
	uint8_t *a = calloc(1, 4096), *b = calloc(1, 4096);
	struct guest_memory gm;
	struct iovec iov[4];

	guest_memory_init(&gm);
	assert_int_equal(guest_memory_add_host(&gm, 0x10000, 4096, 0x1000000, a), 0);
	assert_int_equal(guest_memory_add_host(&gm, 0x11000, 4096, 0x2000000, b), 0);
	/* Overlaps are refused. */
	assert_int_equal(guest_memory_add_host(&gm, 0x10800, 4096, 0x3000000, a), -EINVAL);
	assert_int_equal(guest_memory_add_host(&gm, 0xf800, 4096, 0x3000000, a), -EINVAL);
	assert_int_equal(guest_memory_add_host(&gm, UINT64_MAX - 10, 4096, 0x3000000, a), -EINVAL);
	assert_int_equal(guest_memory_gpa_iov(&gm, 0x10f00, 0x200, iov, 4), 2);
	assert_ptr_equal(iov[0].iov_base, a + 0xf00);
	assert_int_equal(iov[0].iov_len, 0x100);
	assert_ptr_equal(iov[1].iov_base, b);
	assert_int_equal(iov[1].iov_len, 0x100);
	assert_int_equal(guest_memory_gpa_iov(&gm, 0x10f00, 0x200, iov, 1), -ENOBUFS);
	assert_int_equal(guest_memory_gpa_iov(&gm, 0x11f00, 0x200, iov, 4), -EFAULT);
	/* One contiguous range only within a region. */
	assert_null(guest_memory_gpa(&gm, 0x10f00, 0x200));
	assert_ptr_equal(guest_memory_uva(&gm, 0x2000010, 16), b + 16);
	assert_null(guest_memory_uva(&gm, 0x2000ff8, 16));
	guest_memory_clear(&gm);
	free(a);
	free(b);
}

static void test_region_limit(void **state)
{
	uint8_t *a = calloc(1, 4096 * (GUEST_MEMORY_MAX_REGIONS + 1));
	struct guest_memory gm;

	guest_memory_init(&gm);
	for (unsigned i = 0; i < GUEST_MEMORY_MAX_REGIONS; i++)
		assert_int_equal(guest_memory_add_host(&gm, 0x10000 * (i + 1), 4096,
						       0x10000 * (i + 1), a + 4096 * i),
				 0);
	assert_int_equal(guest_memory_add_host(&gm, 0x10000000, 4096, 0x10000000, a), -E2BIG);
	guest_memory_clear(&gm);
	free(a);
}

static bool in_region(const struct fake *f, const struct iovec *v)
{
	const uint8_t *p = v->iov_base;

	return p >= f->mem && v->iov_len <= MEM_SIZE &&
	       p - f->mem <= MEM_SIZE - (ptrdiff_t)v->iov_len;
}

/* Random rings, mostly garbage with some valid parts: whatever pop
 * accepts must lie in guest memory; the rest must be refused, never crash
 * (this also runs under ASan and UBSan). */
static void test_random_rings(void **state)
{
	struct fake *f = *state;
	unsigned seed = 12345, accepted = 0, refused = 0;

	for (unsigned round = 0; round < 20000; round++) {
		struct vq_elem e;

		for (unsigned i = 0; i < NUM; i++) {
			uint64_t addr =
			    rand_r(&seed) % 4
				? gpa((uint64_t)(rand_r(&seed) % MEM_SIZE))
				: ((uint64_t)rand_r(&seed) << 33) ^ (uint64_t)rand_r(&seed);
			uint32_t len = rand_r(&seed) % 3 ? (uint32_t)(rand_r(&seed) % 8192)
							 : (uint32_t)rand_r(&seed) * 3;
			uint16_t flags = (uint16_t)(rand_r(&seed) % 8);
			uint16_t next = (uint16_t)(rand_r(&seed) % (NUM + 2));

			set_desc(f, i, addr, len, flags, next);
		}
		avail_add(f, (uint16_t)(rand_r(&seed) % (NUM + 1)));
		int r = vq_pop(&f->vq, &f->gm, &e);
		if (r == 1) {
			accepted++;
			for (unsigned i = 0; i < e.out_num + e.in_num; i++)
				assert_true(in_region(f, &e.iov[i]));
			vq_push(&f->vq, e.head, 0);
		} else {
			assert_int_equal(r, -EIO);
			refused++;
			/* The front-end sets the ring up again. */
			assert_int_equal(vq_set_addr(&f->vq, &f->gm, UVA_BASE + DESC_OFF,
						     UVA_BASE + AVAIL_OFF, UVA_BASE + USED_OFF),
					 0);
			vq_set_base(&f->vq, get16(f->mem + AVAIL_OFF + 2));
		}
	}
	assert_true(accepted > 100 && refused > 100);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_empty),
	    T(test_not_ready),
	    T(test_single_readable),
	    T(test_chain_read_then_write),
	    T(test_buffer_past_region_end),
	    T(test_buffer_at_region_end_ok),
	    T(test_buffer_wraps_u64),
	    T(test_buffer_wraps_into_region),
	    T(test_buffer_below_region),
	    T(test_length_past_region),
	    T(test_loop_two),
	    T(test_self_loop),
	    T(test_longest_chain_ok),
	    T(test_next_out_of_range),
	    T(test_head_out_of_range),
	    T(test_writable_before_readable),
	    T(test_indirect_refused),
	    T(test_avail_jump),
	    T(test_avail_full_ring_ok),
	    T(test_used_push),
	    T(test_index_wrap),
	    T(test_unpop),
	    T(test_notify),
	    cmocka_unit_test(test_set_num),
	    T(test_set_addr_checks),
	    T(test_too_many_buffers),
	    cmocka_unit_test(test_buffer_across_regions),
	    cmocka_unit_test(test_region_limit),
	    T(test_random_rings),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
