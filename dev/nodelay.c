/* Dev stack only: give Slurm 22.05's TCP connections TCP_NODELAY, as Slurm 24.05 and later do.
 *
 * Slurm 22.05 (Debian 12's) never sets TCP_NODELAY, so each request/answer exchange with
 * slurmdbd waits about 44 ms for Nagle's algorithm and the peer's delayed ACK: an empty
 * accounting query takes about 89 ms instead of 5 ms (see ../shared/notes/slurm/NOTES.md,
 * item 15). Slurm 24.05 fixed it upstream ("Set TCP_NODELAY on all accepted connections",
 * "Set TCP_NODELAY in slurm_open_stream()"). dev/stack builds this file into a shared library
 * and loads it with LD_PRELOAD into slurmdbd, slurmctld and slurmrestd. Sites never need it.
 *
 * It wraps connect(), accept() and accept4(); for TCP sockets it sets TCP_NODELAY and
 * otherwise changes nothing, returning the real call's result and errno.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static void set_nodelay_if_tcp(int fd)
{
	int type = 0, one = 1, saved_errno = errno;
	socklen_t type_len = sizeof(type);
	struct sockaddr_storage local;
	socklen_t local_len = sizeof(local);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) == 0 && type == SOCK_STREAM &&
	    getsockname(fd, (struct sockaddr *)&local, &local_len) == 0 &&
	    (local.ss_family == AF_INET || local.ss_family == AF_INET6))
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	errno = saved_errno; /* callers look at errno after a non-blocking connect() */
}

int connect(int fd, const struct sockaddr *address, socklen_t address_len)
{
	static int (*real_connect)(int, const struct sockaddr *, socklen_t);

	if (!real_connect)
		real_connect = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
	/* before connecting: a non-blocking connect() returns EINPROGRESS, data may follow at once */
	if (address && (address->sa_family == AF_INET || address->sa_family == AF_INET6))
		set_nodelay_if_tcp(fd);
	return real_connect(fd, address, address_len);
}

int accept(int fd, struct sockaddr *address, socklen_t *address_len)
{
	static int (*real_accept)(int, struct sockaddr *, socklen_t *);
	int client;

	if (!real_accept)
		real_accept = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
	client = real_accept(fd, address, address_len);
	set_nodelay_if_tcp(client);
	return client;
}

int accept4(int fd, struct sockaddr *address, socklen_t *address_len, int flags)
{
	static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
	int client;

	if (!real_accept4)
		real_accept4 = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
	client = real_accept4(fd, address, address_len, flags);
	set_nodelay_if_tcp(client);
	return client;
}
