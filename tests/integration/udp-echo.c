/* A UDP echo server for the network test (busybox's nc has no UDP): binds
 * 0.0.0.0:PORT and answers each datagram with its bytes upper-cased, so
 * the sender knows it went there and back. usage: udp-echo PORT */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET}, from;
	char buf[2048];
	int fd;

	if (argc != 2)
		return 2;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("udp-echo");
		return 1;
	}
	for (;;) {
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
		if (n < 0)
			continue;
		for (ssize_t i = 0; i < n; i++)
			buf[i] = (char)toupper((unsigned char)buf[i]);
		sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
	}
}
