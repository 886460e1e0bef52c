/* SPDX-License-Identifier: Apache-2.0 */
#include "../basic/fileio.h"
#include "channel.h"

void ross_channel_init(RossChannel *c, int fd)
{
        memset(c, 0, sizeof(*c));
        c->fd = fd;
        pthread_mutex_init(&c->lock, NULL);
}

void ross_channel_done(RossChannel *c)
{
        ross_buf_free(&c->in);
        pthread_mutex_destroy(&c->lock);
}

int ross_channel_send(RossChannel *c, json_t *msg, RossError *err)
{
        char *s = json_dumps(msg, JSON_COMPACT);
        if (!s)
                return ross_errx(err, EINVAL, "channel: cannot encode a message");
        size_t n = strlen(s);
        if (n >= ROSS_CHANNEL_LINE_MAX) {
                free(s);
                return ross_errx(err, EMSGSIZE, "channel: message of %zu bytes is too long", n);
        }
        s = xrealloc(s, n + 2);
        s[n++] = '\n';
        pthread_mutex_lock(&c->lock);
        int r = ross_write_all(c->fd, s, n);
        pthread_mutex_unlock(&c->lock);
        free(s);
        if (r < 0)
                return ross_err(err, -r, "channel: send");
        return 0;
}

int ross_channel_send_new(RossChannel *c, json_t *msg, RossError *err)
{
        int r = ross_channel_send(c, msg, err);
        json_decref(msg);
        return r;
}

int ross_channel_next(RossChannel *c, json_t **ret, RossError *err)
{
        char *nl = c->in.len ? memchr(c->in.data, '\n', c->in.len) : NULL;
        if (!nl) {
                if (c->in.len >= ROSS_CHANNEL_LINE_MAX)
                        return ross_errx(err, EMSGSIZE, "channel: a line longer than %d bytes",
                                         ROSS_CHANNEL_LINE_MAX);
                return 0;
        }
        size_t n = (size_t)(nl - c->in.data);
        json_error_t je;
        json_auto_t *j = json_loadb(c->in.data, n, JSON_REJECT_DUPLICATES, &je);
        memmove(c->in.data, nl + 1, c->in.len - n - 1);
        c->in.len -= n + 1;
        c->in.data[c->in.len] = '\0';
        if (!json_is_object(j))
                return ross_errx(err, EBADMSG, "channel: a message that is not a JSON object%s%s",
                                 j ? "" : ": ", j ? "" : je.text);
        *ret = TAKE_PTR(j);
        return 1;
}

ssize_t ross_channel_fill(RossChannel *c, RossError *err)
{
        /* straight into the buffer: no large stack buffer in the daemon's threads */
        size_t want = 16384;
        if (c->in.alloc < c->in.len + want + 1) {
                c->in.alloc = c->in.len + want + 1;
                c->in.data = xrealloc(c->in.data, c->in.alloc);
        }
        ssize_t n;
        do
                n = read(c->fd, c->in.data + c->in.len, want);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return ross_err(err, errno, "channel: receive");
        c->in.len += (size_t)n;
        c->in.data[c->in.len] = '\0';
        return n;
}

int ross_channel_recv(RossChannel *c, json_t **ret, RossError *err)
{
        for (;;) {
                int r = ross_channel_next(c, ret, err);
                if (r != 0)
                        return r < 0 ? r : 0;
                ssize_t n = ross_channel_fill(c, err);
                if (n < 0)
                        return (int)n;
                if (n == 0)
                        return ross_errx(err, EPIPE, "channel: the other side closed it");
        }
}

json_t *ross_channel_error_msg(const RossError *err)
{
        return json_pack("{s:s, s:i, s:s}", "type", "error", "code",
                         err && err->code > 0 ? err->code : EIO, "message",
                         err && err->msg[0] ? err->msg : "unknown error");
}

const char *ross_channel_type(json_t *msg)
{
        const char *t = json_string_value(json_object_get(msg, "type"));
        return t ? t : "";
}

int ross_channel_error_from(json_t *msg, RossError *err)
{
        json_int_t code = json_integer_value(json_object_get(msg, "code"));
        const char *text = json_string_value(json_object_get(msg, "message"));
        if (code <= 0 || code > 4095)
                code = EIO;
        return ross_errx(err, (int)code, "%s", text ? text : "unknown error");
}
