/* SPDX-License-Identifier: Apache-2.0 */
/*
 * udp-echo PORT: answers each UDP datagram on 0.0.0.0:PORT with "echo: " and the datagram.
 * Linked statically, so the network tests can bind-mount it into a busybox container
 * (busybox has no UDP server).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: udp-echo PORT\n");
                return 2;
        }
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                perror("udp-echo: bind");
                return 1;
        }
        for (;;) {
                char buf[1500], out[1520];
                struct sockaddr_in from;
                socklen_t fl = sizeof(from);
                ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
                if (n < 0)
                        continue;
                int m = snprintf(out, sizeof(out), "echo: %.*s", (int)n, buf);
                (void)sendto(fd, out, (size_t)m, 0, (struct sockaddr *)&from, fl);
        }
}
