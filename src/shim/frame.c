/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "../basic/fileio.h"
#include "frame.h"

static void put_header(unsigned char h[8], int type, size_t n)
{
        h[0] = (unsigned char)type;
        h[1] = h[2] = h[3] = 0;
        h[4] = (unsigned char)(n >> 24);
        h[5] = (unsigned char)(n >> 16);
        h[6] = (unsigned char)(n >> 8);
        h[7] = (unsigned char)n;
}

int ross_frame_write(int fd, int type, const void *p, size_t n)
{
        unsigned char h[8];
        put_header(h, type, n);
        int r = ross_write_all(fd, h, sizeof(h));
        if (r < 0 || n == 0)
                return r;
        return ross_write_all(fd, p, n);
}

void ross_frame_header(RossBuf *b, int type, size_t n)
{
        unsigned char h[8];
        put_header(h, type, n);
        ross_buf_append(b, h, sizeof(h));
}

bool ross_frame_next(const RossBuf *b, int *ret_type, const char **ret_p, size_t *ret_n,
                     bool *ret_bad)
{
        *ret_bad = false;
        if (b->len < 8)
                return false;
        const unsigned char *h = (const unsigned char *)b->data;
        size_t n = ((size_t)h[4] << 24) | ((size_t)h[5] << 16) | ((size_t)h[6] << 8) | h[7];
        if (h[1] || h[2] || h[3] || h[0] > ROSS_FRAME_EXEC || n > ROSS_FRAME_MAX) {
                *ret_bad = true;
                return false;
        }
        if (b->len - 8 < n)
                return false;
        *ret_type = h[0];
        *ret_p = b->data + 8;
        *ret_n = n;
        return true;
}

void ross_frame_consume(RossBuf *b, size_t payload_len)
{
        size_t k = 8 + payload_len;
        memmove(b->data, b->data + k, b->len - k);
        b->len -= k;
}
