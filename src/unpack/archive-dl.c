/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libarchive (Ross uses its tar reader and writer), loaded when the first layer is unpacked rather
 * than when the daemon starts: an idle daemon does not carry it and what it pulls in
 * (libxml2, ICU, libstdc++ ...). These definitions stand in for the library's own (Ross does
 * not link it); each forwards to the real function, resolved with dlopen once.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "../basic/log.h"

#define FUNCS(X)                                                                                   \
        X(mode_t, archive_entry_filetype, (struct archive_entry * e), (e), 0)                      \
        X(la_int64_t, archive_entry_gid, (struct archive_entry * e), (e), 0)                       \
        X(const char *, archive_entry_hardlink, (struct archive_entry * e), (e), NULL)             \
        X(time_t, archive_entry_mtime, (struct archive_entry * e), (e), 0)                         \
        X(int, archive_entry_mtime_is_set, (struct archive_entry * e), (e), 0)                     \
        X(long, archive_entry_mtime_nsec, (struct archive_entry * e), (e), 0)                      \
        X(const char *, archive_entry_pathname, (struct archive_entry * e), (e), NULL)             \
        X(mode_t, archive_entry_perm, (struct archive_entry * e), (e), 0)                          \
        X(dev_t, archive_entry_rdevmajor, (struct archive_entry * e), (e), 0)                      \
        X(dev_t, archive_entry_rdevminor, (struct archive_entry * e), (e), 0)                      \
        X(la_int64_t, archive_entry_size, (struct archive_entry * e), (e), 0)                      \
        X(const char *, archive_entry_symlink, (struct archive_entry * e), (e), NULL)              \
        X(la_int64_t, archive_entry_uid, (struct archive_entry * e), (e), 0)                       \
        X(int, archive_entry_xattr_next,                                                           \
          (struct archive_entry * e, const char **n, const void **v, size_t *s), (e, n, v, s),     \
          ARCHIVE_WARN)                                                                            \
        X(int, archive_entry_xattr_reset, (struct archive_entry * e), (e), 0)                      \
        X(int, archive_errno, (struct archive * a), (a), EIO)                                      \
        X(const char *, archive_error_string, (struct archive * a), (a), load_error)               \
        X(int, archive_read_data_block,                                                            \
          (struct archive * a, const void **b, size_t *s, la_int64_t *o), (a, b, s, o),            \
          ARCHIVE_FATAL)                                                                           \
        X(int, archive_read_free, (struct archive * a), (a), ARCHIVE_FATAL)                        \
        X(struct archive *, archive_read_new, (void), (), NULL)                                    \
        X(int, archive_read_next_header, (struct archive * a, struct archive_entry * *e), (a, e),  \
          ARCHIVE_FATAL)                                                                           \
        X(int, archive_read_open,                                                                  \
          (struct archive * a, void *d, archive_open_callback *o, archive_read_callback *r,        \
           archive_close_callback *c),                                                             \
          (a, d, o, r, c), ARCHIVE_FATAL)                                                          \
        X(int, archive_read_set_options, (struct archive * a, const char *o), (a, o),              \
          ARCHIVE_FATAL)                                                                           \
        X(int, archive_read_support_format_tar, (struct archive * a), (a), ARCHIVE_FATAL)          \
        X(struct archive_entry *, archive_entry_new, (void), (), NULL)                             \
        X(struct archive_entry *, archive_entry_clear, (struct archive_entry * e), (e), NULL)      \
        X(struct archive *, archive_write_new, (void), (), NULL)                                   \
        X(int, archive_write_free, (struct archive * a), (a), ARCHIVE_FATAL)                       \
        X(int, archive_write_set_format_pax_restricted, (struct archive * a), (a), ARCHIVE_FATAL)  \
        X(int, archive_write_set_options, (struct archive * a, const char *o), (a, o),             \
          ARCHIVE_FATAL)                                                                           \
        X(int, archive_write_set_bytes_in_last_block, (struct archive * a, int n), (a, n),         \
          ARCHIVE_FATAL)                                                                           \
        X(int, archive_write_open,                                                                 \
          (struct archive * a, void *d, archive_open_callback *o, archive_write_callback *w,       \
           archive_close_callback *c),                                                             \
          (a, d, o, w, c), ARCHIVE_FATAL)                                                          \
        X(int, archive_write_header, (struct archive * a, struct archive_entry * e), (a, e),       \
          ARCHIVE_FATAL)                                                                           \
        X(la_ssize_t, archive_write_data, (struct archive * a, const void *b, size_t n),           \
          (a, b, n), -1)                                                                           \
        X(int, archive_write_finish_entry, (struct archive * a), (a), ARCHIVE_FATAL)               \
        X(int, archive_write_close, (struct archive * a), (a), ARCHIVE_FATAL)

/* The entry setters return nothing. */
#define VOID_FUNCS(X)                                                                              \
        X(archive_entry_free, (struct archive_entry * e), (e))                                     \
        X(archive_entry_copy_pathname, (struct archive_entry * e, const char *s), (e, s))          \
        X(archive_entry_copy_symlink, (struct archive_entry * e, const char *s), (e, s))           \
        X(archive_entry_copy_hardlink, (struct archive_entry * e, const char *s), (e, s))          \
        X(archive_entry_set_filetype, (struct archive_entry * e, unsigned int t), (e, t))          \
        X(archive_entry_set_perm, (struct archive_entry * e, mode_t m), (e, m))                    \
        X(archive_entry_set_size, (struct archive_entry * e, la_int64_t s), (e, s))                \
        X(archive_entry_set_uid, (struct archive_entry * e, la_int64_t u), (e, u))                 \
        X(archive_entry_set_gid, (struct archive_entry * e, la_int64_t g), (e, g))                 \
        X(archive_entry_set_mtime, (struct archive_entry * e, time_t t, long ns), (e, t, ns))      \
        X(archive_entry_set_rdevmajor, (struct archive_entry * e, dev_t m), (e, m))                \
        X(archive_entry_set_rdevminor, (struct archive_entry * e, dev_t m), (e, m))                \
        X(archive_entry_xattr_add_entry,                                                           \
          (struct archive_entry * e, const char *n, const void *v, size_t s), (e, n, v, s))

static char load_error[512] = "libarchive is not loaded";

#define FIELD(ret, name, params, args, dflt) ret(*name) params;
#define VOID_FIELD(name, params, args)       void(*name) params;
static struct {
        FUNCS(FIELD)
        VOID_FUNCS(VOID_FIELD) void (*archive_set_error)(struct archive *, int, const char *, ...);
} fn;
#undef FIELD
#undef VOID_FIELD

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
        void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                snprintf(load_error, sizeof(load_error), "cannot load libarchive: %s", dlerror());
                return;
        }
#define SYM(ret, name, params, args, dflt)                                                         \
        if (!(*(void **)&fn.name = dlsym(h, #name))) {                                             \
                snprintf(load_error, sizeof(load_error), "libarchive lacks %s", #name);            \
                memset(&fn, 0, sizeof(fn));                                                        \
                return;                                                                            \
        }
#define VOID_SYM(name, params, args) SYM(void, name, params, args, 0)
        FUNCS(SYM)
        VOID_FUNCS(VOID_SYM)
        SYM(void, archive_set_error, (), (), 0)
#undef VOID_SYM
#undef SYM
        log_debug("libarchive loaded");
}

static bool loaded(void)
{
        pthread_once(&once, load);
        return fn.archive_read_new != NULL;
}

#define FORWARD(ret, name, params, args, dflt)                                                     \
        ret name params                                                                            \
        {                                                                                          \
                return loaded() ? fn.name args : (dflt);                                           \
        }
FUNCS(FORWARD)
#undef FORWARD

#define VOID_FORWARD(name, params, args)                                                           \
        void name params                                                                           \
        {                                                                                          \
                if (loaded())                                                                      \
                        fn.name args;                                                              \
        }
VOID_FUNCS(VOID_FORWARD)
#undef VOID_FORWARD

/* The one variadic function: formatted here, handed on as "%s" (a va_list cannot be). */
void archive_set_error(struct archive *a, int err, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        if (!loaded())
                return;
        if (!fmt) {
                fn.archive_set_error(a, err, NULL); /* libarchive's way to clear the message */
                return;
        }
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        fn.archive_set_error(a, err, "%s", msg ? msg : "out of memory");
}
