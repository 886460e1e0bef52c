/* SPDX-License-Identifier: Apache-2.0 */
#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include "decompress.h"

#define IN_BUF              (256 * 1024)
#define ZSTD_WINDOW_LOG_MAX 27

struct RossDecomp {
        int fd;
        RossLayerCompression c;
        uint8_t *in;
        size_t in_len, in_pos; /* unread input is in[in_pos .. in_len) */
        bool in_eof;
        uint64_t consumed;

        struct inflate_state *gz;
        bool gz_member_done; /* a gzip member ended; another may follow */
        bool started;

        ZSTD_DCtx *zs;
        size_t zs_hint; /* last return of ZSTD_decompressStream: 0 when a frame is whole */
};

static int fill(RossDecomp *d, RossError *err)
{
        if (d->in_pos < d->in_len || d->in_eof)
                return 0;
        for (;;) {
                ssize_t n = read(d->fd, d->in, IN_BUF);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return ross_err(err, errno, "read layer");
                d->in_pos = 0;
                d->in_len = (size_t)n;
                d->consumed += (uint64_t)n;
                if (n == 0)
                        d->in_eof = true;
                return 0;
        }
}

int ross_decomp_open(int fd, RossLayerCompression c, RossDecomp **ret, RossError *err)
{
        RossDecomp *d = xcalloc(1, sizeof(*d));
        d->fd = fd;
        d->c = c;
        d->in = xmalloc(IN_BUF);
        if (c == ROSS_LAYER_GZIP) {
                d->gz = xcalloc(1, sizeof(*d->gz));
                isal_inflate_init(d->gz);
                d->gz->crc_flag = ISAL_GZIP;
        } else if (c == ROSS_LAYER_ZSTD) {
                d->zs = ZSTD_createDCtx();
                if (!d->zs) {
                        ross_decomp_free(d);
                        return ross_errx(err, ENOMEM, "cannot create a zstd decoder");
                }
                ZSTD_DCtx_setParameter(d->zs, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX);
        }
        *ret = d;
        return 0;
}

int ross_decomp_open_prefixed(int fd, RossLayerCompression c, const void *head, size_t n,
                              RossDecomp **ret, RossError *err)
{
        if (n > IN_BUF)
                return ross_errx(err, EINVAL, "%zu bytes read ahead of a stream: too many", n);
        int r = ross_decomp_open(fd, c, ret, err);
        if (r < 0)
                return r;
        memcpy((*ret)->in, head, n);
        (*ret)->in_len = n;
        (*ret)->consumed = n;
        return 0;
}

void ross_decomp_free(RossDecomp *d)
{
        if (!d)
                return;
        free(d->gz);
        if (d->zs)
                ZSTD_freeDCtx(d->zs);
        free(d->in);
        free(d);
}

uint64_t ross_decomp_consumed(RossDecomp *d)
{
        return d->consumed - (d->in_len - d->in_pos);
}

static ssize_t read_plain(RossDecomp *d, uint8_t *buf, size_t n, RossError *err)
{
        int r = fill(d, err);
        if (r < 0)
                return r;
        size_t k = d->in_len - d->in_pos < n ? d->in_len - d->in_pos : n;
        memcpy(buf, d->in + d->in_pos, k);
        d->in_pos += k;
        return (ssize_t)k;
}

static ssize_t read_gzip(RossDecomp *d, uint8_t *buf, size_t n, RossError *err)
{
        struct inflate_state *s = d->gz;
        if (n > UINT32_MAX)
                n = UINT32_MAX;
        for (;;) {
                int r = fill(d, err);
                if (r < 0)
                        return r;
                if (d->gz_member_done) {
                        /* Another member, or the end. */
                        if (d->in_pos == d->in_len)
                                return 0;
                        if (d->in_len - d->in_pos >= 2 &&
                            (d->in[d->in_pos] != 0x1f || d->in[d->in_pos + 1] != 0x8b))
                                return ross_errx(err, EBADMSG,
                                                 "layer has data after its gzip stream");
                        isal_inflate_reset(s);
                        s->crc_flag = ISAL_GZIP;
                        d->gz_member_done = false;
                }
                if (d->in_pos == d->in_len)
                        return d->started ? ross_errx(err, EBADMSG,
                                                      "gzip stream ends too early (truncated "
                                                      "layer)")
                                          : ross_errx(err, EBADMSG, "layer is empty");
                d->started = true;
                s->next_in = d->in + d->in_pos;
                s->avail_in = (uint32_t)(d->in_len - d->in_pos);
                s->next_out = buf;
                s->avail_out = (uint32_t)n;
                r = isal_inflate(s);
                d->in_pos = d->in_len - s->avail_in;
                if (r != ISAL_DECOMP_OK)
                        return ross_errx(err, EBADMSG, "gzip: %s",
                                         r == ISAL_INCORRECT_CHECKSUM ? "checksum mismatch"
                                         : r == ISAL_INVALID_WRAPPER  ? "not a gzip stream"
                                                                      : "invalid data");
                if (s->block_state == ISAL_BLOCK_FINISH)
                        d->gz_member_done = true;
                size_t out = n - s->avail_out;
                if (out > 0)
                        return (ssize_t)out;
        }
}

static ssize_t read_zstd(RossDecomp *d, uint8_t *buf, size_t n, RossError *err)
{
        for (;;) {
                int r = fill(d, err);
                if (r < 0)
                        return r;
                if (d->in_pos == d->in_len) {
                        if (d->started && d->zs_hint == 0)
                                return 0;
                        return ross_errx(err, EBADMSG,
                                         d->started ? "zstd stream ends too early (truncated "
                                                      "layer)"
                                                    : "layer is empty");
                }
                d->started = true;
                ZSTD_inBuffer in = {d->in, d->in_len, d->in_pos};
                ZSTD_outBuffer out = {buf, n, 0};
                size_t z = ZSTD_decompressStream(d->zs, &out, &in);
                d->in_pos = in.pos;
                if (ZSTD_isError(z))
                        return ross_errx(err, EBADMSG, "zstd: %s", ZSTD_getErrorName(z));
                d->zs_hint = z;
                if (out.pos > 0)
                        return (ssize_t)out.pos;
        }
}

ssize_t ross_decomp_read(RossDecomp *d, void *buf, size_t n, RossError *err)
{
        switch (d->c) {
        case ROSS_LAYER_GZIP:
                return read_gzip(d, buf, n, err);
        case ROSS_LAYER_ZSTD:
                return read_zstd(d, buf, n, err);
        default:
                return read_plain(d, buf, n, err);
        }
}
