#include "vsock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "cleanup.h"

int vsock_local_cid(unsigned *ret_cid, struct error *e)
{
	_cleanup_close_ int fd = open("/dev/vsock", O_RDONLY | O_CLOEXEC);
	unsigned cid = VMADDR_CID_ANY;

	if (fd < 0)
		return error_errno(e, errno, "opening /dev/vsock");
	if (ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid) < 0)
		return error_errno(e, errno, "asking /dev/vsock for the local CID");
	/* Without a guest transport the answer is the loopback's CID (1) or
	 * none; guests have 3 and up. */
	if (cid == VMADDR_CID_ANY || cid <= VMADDR_CID_HOST)
		return error_set(e, ENODEV,
				 "no virtio-vsock device: the host cannot reach the agent");
	*ret_cid = cid;
	return 0;
}

int vsock_listen(unsigned port, struct error *e)
{
	struct sockaddr_vm addr = {
	    .svm_family = AF_VSOCK,
	    .svm_cid = VMADDR_CID_ANY,
	    .svm_port = port,
	};
	_cleanup_close_ int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return error_errno(e, errno, "creating a vsock socket");
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return error_errno(e, errno, "binding vsock port %u", port);
	if (listen(fd, VSOCK_BACKLOG) < 0)
		return error_errno(e, errno, "listening on vsock port %u", port);
	return TAKE_FD(fd);
}
