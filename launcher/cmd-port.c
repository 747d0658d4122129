/* launcher port: the container's published ports, as Docker prints them
 * ("80/tcp -> 127.0.0.1:18080"), or the host side of one of them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "container-ops.h"
#include "network.h"
#include "util.h"

int cmd_port(int argc, char **argv)
{
	static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {0}};
	struct container_port want = {0};
	struct container_record r;
	struct error e = {0};
	char run_root[4096];
	bool found = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c != 'h')
			return cli_usage("port", "unknown flag: %s", argv[optind - 1]);
		printf("\nUsage:  launcher port CONTAINER [PRIVATE_PORT[/PROTO]]\n\n"
		       "List port mappings or a specific mapping for the container\n");
		return 0;
	}
	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage("port", "\"launcher port\" requires 1 or 2 arguments.");
	if (argc - optind == 2 &&
	    (strchr(argv[optind + 1], ':') || parse_publish(argv[optind + 1], &want, &e) < 0))
		return cli_usage("port", "invalid port \"%s\": use PORT[/tcp|/udp]",
				 argv[optind + 1]);
	cli_run_root(run_root, sizeof(run_root));
	if (container_lookup(run_root, argv[optind], &r, &e) < 0) {
		launcher_error("%s", e.msg);
		return EXIT_NO_SUCH_CONTAINER;
	}
	/* As Docker: the mappings of a running container only. */
	for (size_t i = 0; r.state.status == CONTAINER_RUNNING && i < r.config.nports; i++) {
		const struct container_port *p = &r.config.ports[i];
		if (!want.container_port) {
			printf("%u/%s -> %s:%u\n", p->container_port, p->udp ? "udp" : "tcp",
			       p->host_ip, p->host_port);
		} else if (p->container_port == want.container_port && p->udp == want.udp) {
			printf("%s:%u\n", p->host_ip, p->host_port);
			found = true;
		}
	}
	container_record_free(&r);
	if (want.container_port && !found) {
		launcher_error("no public port '%u/%s' published for %s", want.container_port,
			       want.udp ? "udp" : "tcp", argv[optind]);
		return EXIT_NO_SUCH_CONTAINER;
	}
	return 0;
}
