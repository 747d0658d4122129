/* Listening vsock sockets for the host's connections. */
#pragma once

#include "error.h"

#define VSOCK_BACKLOG 64

/* The guest's own CID, or -ENODEV when the VM has no vsock device (the
 * listeners would then wait forever for a host that cannot reach them). */
int vsock_local_cid(unsigned *ret_cid, struct error *e);

/* A non-blocking, close-on-exec listener on (VMADDR_CID_ANY, port). */
int vsock_listen(unsigned port, struct error *e);
