#include "virtqueue.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Split ring layout (virtio 1.x, 2.6): little-endian fields. */
#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1

#define DESC_SIZE 16
#define DESC_ALIGN 16
#define AVAIL_ALIGN 2
#define USED_ALIGN 4

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Loads from and stores to guest memory. Atomic so that each is one access
 * the compiler will neither repeat nor tear: the guest may change the
 * value between two reads. */
static uint16_t load16(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

static uint32_t load32(const uint8_t *p)
{
	return le32toh(__atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED));
}

static uint64_t load64(const uint8_t *p)
{
	return le64toh(__atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED));
}

static void store32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, htole32(v), __ATOMIC_RELAXED);
}

static size_t avail_size(unsigned num)
{
	return 4 + 2 * (size_t)num; /* flags, idx, ring[num] */
}

static size_t used_size(unsigned num)
{
	return 4 + 8 * (size_t)num; /* flags, idx, ring[num] of {id, len} */
}

static __attribute__((format(printf, 2, 3))) int vq_fail(struct virtqueue *vq, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!vq->broken) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		log_guest("guest: virtqueue %u broken, not processed any more: %s", vq->index, msg);
	}
	vq->broken = true;
	return -EIO;
}

void vq_init(struct virtqueue *vq, unsigned index)
{
	memset(vq, 0, sizeof(*vq));
	vq->index = index;
	vq->kick_fd = -1;
	vq->call_fd = -1;
}

void vq_reset(struct virtqueue *vq)
{
	if (vq->kick_fd >= 0)
		close(vq->kick_fd);
	if (vq->call_fd >= 0)
		close(vq->call_fd);
	vq_init(vq, vq->index);
}

int vq_set_num(struct virtqueue *vq, unsigned num)
{
	if (num == 0 || num > VQ_MAX_SIZE || (num & (num - 1)) != 0)
		return -EINVAL;
	vq->num = num;
	/* The rings' sizes depend on num: they must be set up again. */
	vq->addr_set = false;
	vq->desc = vq->avail = vq->used = NULL;
	return 0;
}

static bool aligned(const void *p, size_t align)
{
	return ((uintptr_t)p & (align - 1)) == 0;
}

static int map_rings(struct virtqueue *vq, const struct guest_memory *mem)
{
	uint8_t *desc = guest_memory_uva(mem, vq->desc_uva, (uint64_t)DESC_SIZE * vq->num);
	uint8_t *avail = guest_memory_uva(mem, vq->avail_uva, avail_size(vq->num));
	uint8_t *used = guest_memory_uva(mem, vq->used_uva, used_size(vq->num));

	vq->desc = vq->avail = vq->used = NULL;
	/* The alignment that matters is that of our own pointers: the fields
	 * are accessed through them. */
	if (!desc || !avail || !used || !aligned(desc, DESC_ALIGN) ||
	    !aligned(avail, AVAIL_ALIGN) || !aligned(used, USED_ALIGN))
		return -EINVAL;
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	return 0;
}

int vq_set_addr(struct virtqueue *vq, const struct guest_memory *mem, uint64_t desc_uva,
		uint64_t avail_uva, uint64_t used_uva)
{
	if (vq->num == 0)
		return -EINVAL;
	vq->desc_uva = desc_uva;
	vq->avail_uva = avail_uva;
	vq->used_uva = used_uva;
	int r = map_rings(vq, mem);
	if (r < 0)
		return r;
	vq->addr_set = true;
	vq->broken = false;
	/* Continue where the driver's used index stands (a fresh ring has 0). */
	vq->used_idx = load16(vq->used + 2);
	vq->unsignalled = 0;
	return 0;
}

int vq_remap(struct virtqueue *vq, const struct guest_memory *mem)
{
	if (!vq->addr_set)
		return 0;
	if (map_rings(vq, mem) < 0)
		return vq_fail(vq, "rings are outside the new memory table");
	return 0;
}

void vq_set_base(struct virtqueue *vq, uint16_t last_avail_idx)
{
	vq->last_avail_idx = last_avail_idx;
}

uint16_t vq_stop(struct virtqueue *vq)
{
	if (vq->kick_fd >= 0)
		close(vq->kick_fd);
	vq->kick_fd = -1;
	vq->started = false;
	return vq->last_avail_idx;
}

bool vq_ready(const struct virtqueue *vq)
{
	return vq->started && vq->enabled && vq->desc && !vq->broken;
}

static void read_desc(const struct virtqueue *vq, unsigned i, struct desc *d)
{
	const uint8_t *p = vq->desc + (size_t)DESC_SIZE * i;

	d->addr = load64(p);
	d->len = load32(p + 8);
	d->flags = load16(p + 12);
	d->next = load16(p + 14);
}

static int add_buffer(struct virtqueue *vq, const struct guest_memory *mem, struct vq_elem *elem,
		      const struct desc *d)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	unsigned used = elem->out_num + elem->in_num;

	if (!writable && elem->in_num > 0)
		return vq_fail(vq, "device-readable descriptor after a device-writable one");
	int n = guest_memory_gpa_iov(mem, d->addr, d->len, &elem->iov[used], VQ_MAX_IOV - used);
	if (n == -ENOBUFS)
		return vq_fail(vq, "descriptor chain has more than %d buffers", VQ_MAX_IOV);
	if (n < 0)
		return vq_fail(vq, "buffer 0x%llx+%u is outside guest memory",
			       (unsigned long long)d->addr, d->len);
	if (writable) {
		elem->in_num += (unsigned)n;
		elem->in_len += d->len;
	} else {
		elem->out_num += (unsigned)n;
		elem->out_len += d->len;
	}
	return 0;
}

static int read_chain(struct virtqueue *vq, const struct guest_memory *mem, uint16_t head,
		      struct vq_elem *elem)
{
	unsigned i = head;

	/* Not the whole struct: the iovecs are filled as needed. */
	elem->head = head;
	elem->out_num = elem->in_num = 0;
	elem->out_len = elem->in_len = 0;
	/* A chain visits each descriptor at most once, so one longer than the
	 * table must loop. */
	for (unsigned count = 1;; count++) {
		struct desc d;

		if (i >= vq->num)
			return vq_fail(vq, "descriptor index %u out of range (size %u)", i,
				       vq->num);
		if (count > vq->num)
			return vq_fail(vq, "descriptor chain loops");
		read_desc(vq, i, &d);
		if (d.flags & VRING_DESC_F_INDIRECT)
			return vq_fail(vq, "indirect descriptor, a feature not offered");
		int r = add_buffer(vq, mem, elem, &d);
		if (r < 0)
			return r;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

int vq_pop(struct virtqueue *vq, const struct guest_memory *mem, struct vq_elem *elem)
{
	if (vq->broken)
		return -EIO;
	if (!vq_ready(vq))
		return 0;
	/* Acquire: the ring entries and descriptors the guest wrote before
	 * publishing this index must be read after it. */
	uint16_t avail_idx =
	    le16toh(__atomic_load_n((uint16_t *)(vq->avail + 2), __ATOMIC_ACQUIRE));
	uint16_t pending = (uint16_t)(avail_idx - vq->last_avail_idx);

	if (pending == 0)
		return 0;
	if (pending > vq->num)
		return vq_fail(vq, "available index moved by %u, more than the size %u", pending,
			       vq->num);
	uint16_t head = load16(vq->avail + 4 + 2 * (vq->last_avail_idx & (vq->num - 1)));
	int r = read_chain(vq, mem, head, elem);
	if (r < 0)
		return r;
	vq->last_avail_idx++;
	return 1;
}

void vq_unpop(struct virtqueue *vq, unsigned n)
{
	vq->last_avail_idx = (uint16_t)(vq->last_avail_idx - n);
}

void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	if (!vq->used || vq->broken)
		return;
	uint8_t *e = vq->used + 4 + 8 * (size_t)(vq->used_idx & (vq->num - 1));

	store32(e, head);
	store32(e + 4, len);
	vq->used_idx++;
	/* Release: the entry must be visible before the index that covers it. */
	__atomic_store_n((uint16_t *)(vq->used + 2), htole16(vq->used_idx), __ATOMIC_RELEASE);
	vq->unsignalled++;
}

void vq_notify(struct virtqueue *vq)
{
	uint64_t one = 1;

	if (vq->unsignalled == 0 || !vq->avail)
		return;
	vq->unsignalled = 0;
	/* Full barrier: the guest must either see our used index or have set
	 * its flag before we read it, or an interrupt could be lost. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (load16(vq->avail) & VRING_AVAIL_F_NO_INTERRUPT)
		return;
	if (vq->call_fd >= 0 && write(vq->call_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_msg("virtqueue %u: signalling the guest: %m", vq->index);
}
