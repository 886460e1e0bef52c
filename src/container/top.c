/* SPDX-License-Identifier: Apache-2.0 */
/* A container's processes (top.h), as Docker's ContainerTop lists them: through ps. */
#include <ctype.h>
#include <dirent.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include "../backend/backend.h"
#include "../basic/argv.h"
#include "../basic/buf.h"
#include "../basic/clock.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../basic/parse.h"
#include "../basic/spawn.h"
#include "../shim/frame.h"
#include "config.h"
#include "container-events.h"
#include "containers.h"
#include "top.h"

#define PS_OUTPUT_MAX (16 * 1024 * 1024)
#define PS_ARGS_MAX   256
#define GUEST_TIMEOUT 30000 /* ms for ps in a VM, output and exit status */
#define PIDS_MAX      (1 << 22)

int ross_top_check_args(const char *ps_args, RossError *err)
{
        /* Docker's psArgsRegexp: \s+([^\s]*)=\s*(PID[^\s]*) */
        regex_t re;
        if (regcomp(&re, "[[:space:]]+([^[:space:]]*)=[[:space:]]*(PID[^[:space:]]*)",
                    REG_EXTENDED) != 0)
                return ross_errx(err, EIO, "ps arguments: cannot compile the check");
        const char *p = ps_args;
        regmatch_t m[3];
        int r = 0;
        while (r == 0 && *p && regexec(&re, p, 3, m, p == ps_args ? 0 : REG_NOTBOL) == 0) {
                _cleanup_free_ char *k =
                        xstrndup(p + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so));
                _cleanup_free_ char *v =
                        xstrndup(p + m[2].rm_so, (size_t)(m[2].rm_eo - m[2].rm_so));
                if (!STREQ(k, "pid"))
                        r = ross_errx(err, EINVAL, "specifying \"%s=%s\" is not allowed", k, v);
                p += m[0].rm_eo > 0 ? m[0].rm_eo : 1;
        }
        regfree(&re);
        return r;
}

/* ASCII whitespace only, as Docker's fieldsASCII. */
static bool field_space(char ch)
{
        return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\f' || ch == '\r';
}

static json_t *fields_of(const char *line, size_t len)
{
        json_t *a = json_array();
        size_t i = 0;
        while (i < len) {
                while (i < len && field_space(line[i]))
                        i++;
                size_t start = i;
                while (i < len && !field_space(line[i]))
                        i++;
                if (i > start)
                        json_array_append_new(a, json_stringn_nocheck(line + start, i - start));
        }
        return a;
}

static int cmp_pid(const void *a, const void *b)
{
        pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
        return x < y ? -1 : x > y;
}

/* The fields of a row as the titles have them: what is past the last title in it. */
static json_t *row_of(json_t *fields, size_t n_titles)
{
        json_t *row = json_array();
        size_t n = json_array_size(fields);
        for (size_t i = 0; i + 1 < n_titles; i++) {
                if (i < n)
                        json_array_append(row, json_array_get(fields, i));
                else
                        json_array_append_new(row, json_string(""));
        }
        RossBuf last = {};
        for (size_t i = n_titles - 1; i < n; i++) {
                const char *f = json_string_value(json_array_get(fields, i));
                ross_buf_printf(&last, "%s%s", i > n_titles - 1 ? " " : "", f);
        }
        _cleanup_free_ char *text = ross_buf_steal(&last);
        json_array_append_new(row, json_string_nocheck(text));
        return row;
}

int ross_top_parse(const char *out, const pid_t *pids, size_t n_pids, json_t **ret, RossError *err)
{
        const char *nl = strchr(out, '\n');
        size_t hlen = nl ? (size_t)(nl - out) : strlen(out);
        json_auto_t *titles = fields_of(out, hlen), *procs = json_array();
        size_t n_titles = json_array_size(titles), pid_index = SIZE_MAX;
        for (size_t i = 0; i < n_titles && pid_index == SIZE_MAX; i++)
                if (STREQ(json_string_value(json_array_get(titles, i)), "PID"))
                        pid_index = i;
        if (pid_index == SIZE_MAX)
                return ross_errx(err, EINVAL, "Couldn't find PID field in ps output");
        bool last_kept = false;
        for (const char *line = nl ? nl + 1 : NULL; line && *line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t)(end - line) : strlen(line);
                json_auto_t *fields = fields_of(line, len);
                line = end ? end + 1 : NULL;
                if (json_array_size(fields) <= pid_index)
                        continue;
                const char *p = json_string_value(json_array_get(fields, pid_index));
                if (STREQ(p, "-")) {
                        /* a thread of the process on the row before */
                        if (last_kept)
                                json_array_append_new(procs, row_of(fields, n_titles));
                        continue;
                }
                int pid;
                if (ross_parse_int(p, 0, INT32_MAX, &pid) < 0)
                        return ross_errx(err, EINVAL, "Unexpected pid '%s': not a number", p);
                pid_t key = (pid_t)pid;
                last_kept = !pids ||
                            (n_pids && bsearch(&key, pids, n_pids, sizeof(pid_t), cmp_pid) != NULL);
                if (last_kept)
                        json_array_append_new(procs, row_of(fields, n_titles));
        }
        *ret = json_pack("{s:O, s:O}", "Titles", titles, "Processes", procs);
        return 0;
}

/* "aux", "-o pid,comm": the words of ps_args, split on spaces as Docker splits them (without
 * the empty words two spaces make). */
static int ps_argv(RossArgv *a, const char *ps_args, RossError *err)
{
        _cleanup_free_ char *copy = xstrdup(STR_EMPTY(ps_args) ? "-ef" : ps_args);
        a->max = PS_ARGS_MAX + 2; /* ps, the words, Docker's -qPID,... */
        ross_argv_add(a, "ps");
        char *save = NULL;
        for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
                ross_argv_add(a, w);
        if (ross_argv_ok(a) < 0 || a->n > PS_ARGS_MAX + 1)
                return ross_errx(err, E2BIG, "ps arguments: more than %d words", PS_ARGS_MAX);
        return 0;
}

/* The first line of what a program said on stderr, for Docker's "Error running ps: ...". */
static char *first_line(const RossBuf *b, const char *fallback)
{
        if (!b->len)
                return xstrdup(fallback);
        size_t n = strcspn(b->data, "\n");
        return n ? xstrndup(b->data, n) : xstrdup(fallback);
}

/* Read fd to its end into b (at most max bytes kept); false when it ended. */
static bool drain_some(int fd, RossBuf *b, size_t max)
{
        char buf[16384];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return true;
        if (n <= 0)
                return false;
        if (b->len + (size_t)n <= max)
                ross_buf_append(b, buf, (size_t)n);
        else
                b->overflowed = true;
        return true;
}

/* Run argv with its stdout and stderr read apart; *ret_status its exit code. */
static int run_capture(char *const *argv, RossBuf *out, RossBuf *errtext, int *ret_status,
                       RossError *err)
{
        int op[2], ep[2];
        if (pipe2(op, O_CLOEXEC) < 0)
                return ross_err(err, errno, "run %s: pipe", argv[0]);
        if (pipe2(ep, O_CLOEXEC) < 0) {
                int r = ross_err(err, errno, "run %s: pipe", argv[0]);
                close(op[0]);
                close(op[1]);
                return r;
        }
        _cleanup_close_ int ro = op[0], re = ep[0];
        _cleanup_(ross_child_done) RossChild child = ROSS_CHILD_INIT;
        RossSpawnOptions o = ROSS_SPAWN_OPTIONS_INIT;
        o.stdout_fd = op[1];
        o.stderr_fd = ep[1];
        int r = ross_spawn(argv, &o, &child, err);
        close(op[1]);
        close(ep[1]);
        if (r < 0)
                return r;
        bool open_out = true, open_err = true;
        while (open_out || open_err) {
                struct pollfd p[2] = {{.fd = open_out ? ro : -1, .events = POLLIN},
                                      {.fd = open_err ? re : -1, .events = POLLIN}};
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return ross_err(err, errno, "run %s: poll", argv[0]);
                }
                if (open_out && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
                        open_out = drain_some(ro, out, PS_OUTPUT_MAX);
                if (open_err && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
                        open_err = drain_some(re, errtext, 64 * 1024);
        }
        r = ross_child_wait(&child, ret_status, err);
        if (r == -ECHILD)
                return r; /* killed: no status to speak of */
        if (out->overflowed)
                return ross_errx(err, EFBIG, "%s wrote more than %d MiB", argv[0],
                                 PS_OUTPUT_MAX >> 20);
        ross_err_clear(err);
        return 0;
}

typedef struct Pids {
        pid_t *v;
        size_t n, alloc;
} Pids;

static void pids_done(Pids *p)
{
        free(p->v);
        *p = (Pids){};
}

static int add_pid(Pids *p, pid_t pid)
{
        if (p->n >= PIDS_MAX)
                return -E2BIG;
        if (p->n == p->alloc) {
                p->alloc = p->alloc ? p->alloc * 2 : 64;
                p->v = xrealloc(p->v, p->alloc * sizeof(pid_t));
        }
        p->v[p->n++] = pid;
        return 0;
}

/* For ross_top_parse: never NULL, which would keep every row. */
static const pid_t *pid_list(const Pids *p)
{
        static const pid_t none[1];
        return p->v ? p->v : none;
}

static void pids_sort(Pids *p)
{
        if (p->n)
                qsort(p->v, p->n, sizeof(pid_t), cmp_pid);
}

static bool numeric(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isdigit((unsigned char)*s))
                        return false;
        return true;
}

/* The processes in init's PID namespace, sorted: the container's. */
static int namespace_pids(pid_t init, Pids *ret, RossError *err)
{
        char p[64];
        struct stat want, self;
        snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int)init);
        if (stat(p, &want) < 0)
                return ross_err(err, errno, "the PID namespace of process %d", (int)init);
        if (stat("/proc/self/ns/pid", &self) == 0 && self.st_ino == want.st_ino &&
            self.st_dev == want.st_dev)
                return ross_errx(err, EIO, "process %d is in the host's PID namespace", (int)init);
        _cleanup_(closedirp) DIR *d = opendir("/proc");
        if (!d)
                return ross_err(err, errno, "open /proc");
        struct dirent *de;
        while ((de = readdir(d))) {
                int pid;
                struct stat st;
                if (!numeric(de->d_name) || ross_parse_int(de->d_name, 1, INT32_MAX, &pid) < 0)
                        continue;
                snprintf(p, sizeof(p), "/proc/%d/ns/pid", pid);
                if (stat(p, &st) < 0 || st.st_ino != want.st_ino || st.st_dev != want.st_dev)
                        continue;
                if (add_pid(ret, (pid_t)pid) < 0)
                        return ross_errx(err, E2BIG, "too many processes");
        }
        pids_sort(ret);
        return 0;
}

/* A VM's processes on the host: the children of its shim (the VMM, virtiofsd, passt). */
static int shim_children(RossContainers *c, const char *id, Pids *ret, RossError *err)
{
        _cleanup_free_ char *pidf = ross_containers_path(c, id, "shim.pid");
        _cleanup_free_ char *text = NULL;
        int shim;
        if (ross_read_file(pidf, 64, &text, NULL, NULL) < 0 ||
            ross_parse_int(text, 1, INT32_MAX, &shim) < 0)
                return ross_errx(err, EIO, "container %.12s: its shim's pid is not known", id);
        char dir[64];
        snprintf(dir, sizeof(dir), "/proc/%d/task", shim);
        _cleanup_(closedirp) DIR *d = opendir(dir);
        if (!d)
                return ross_err(err, errno, "container %.12s: its shim's tasks", id);
        struct dirent *de;
        while ((de = readdir(d))) {
                if (!numeric(de->d_name))
                        continue;
                _cleanup_free_ char *p = xasprintf("%s/%s/children", dir, de->d_name);
                _cleanup_free_ char *kids = NULL;
                if (ross_read_file(p, 64 * 1024, &kids, NULL, NULL) < 0)
                        continue;
                char *save = NULL;
                for (char *w = strtok_r(kids, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
                        int pid;
                        if (ross_parse_int(w, 1, INT32_MAX, &pid) == 0)
                                (void)add_pid(ret, (pid_t)pid);
                }
        }
        pids_sort(ret);
        return 0;
}

/* Docker's way: ps ARGS -qPID,..., and without -q when ps refuses it with those args (some
 * options, such as f, do not go with it); the rows of pids kept. */
static int host_ps(const char *ps_args, const Pids *pids, json_t **ret, RossError *err)
{
        for (int attempt = 0; attempt < 2; attempt++) {
                _cleanup_(ross_argv_free) RossArgv a = {};
                int r = ps_argv(&a, ps_args, err);
                if (r < 0)
                        return r;
                if (attempt == 0) {
                        RossBuf q = {};
                        ross_buf_printf(&q, "-q");
                        for (size_t i = 0; i < pids->n; i++)
                                ross_buf_printf(&q, "%s%d", i ? "," : "", (int)pids->v[i]);
                        _cleanup_free_ char *qs = ross_buf_steal(&q);
                        ross_argv_add(&a, qs);
                }
                _cleanup_(ross_buf_free) RossBuf out = {}, errtext = {};
                int status = 0;
                r = run_capture(ross_argv_get(&a), &out, &errtext, &status, err);
                if (r < 0)
                        return ross_err_prefix(err, "Error running ps");
                if (status == 0)
                        return ross_top_parse(out.data ? out.data : "", pid_list(pids), pids->n,
                                              ret, err);
                if (attempt == 1) {
                        _cleanup_free_ char *why = first_line(&errtext, "ps failed");
                        return ross_errx(err, EIO, "Error running ps: %s", why);
                }
        }
        return ross_errx(err, EIO, "Error running ps");
}

/* ---- a micro-VM: ps in the guest ---- */

static long remaining(int64_t deadline)
{
        int64_t left = deadline - ross_now_ms();
        return left > 0 ? (long)left : 0;
}

/* Run argv in the container as an exec; its output and exit code (127: no such program). */
static int guest_run(RossContainers *c, const char *id, char *const *argv, RossBuf *out,
                     RossBuf *errtext, int *ret_code, RossError *err)
{
        json_auto_t *cmd = json_array();
        for (char *const *p = argv; *p; p++)
                json_array_append_new(cmd, json_string(*p));
        json_auto_t *body = json_pack("{s:O, s:b, s:b, s:b}", "Cmd", cmd, "AttachStdout", 1,
                                      "AttachStderr", 1, "Tty", 0);
        _cleanup_free_ char *eid = NULL;
        int status = 0;
        int r = ross_exec_create(c, id, body, &eid, err);
        if (r < 0)
                return r;
        r = ross_exec_start(c, eid, true, &status, err);
        if (r < 0 && (status == 126 || status == 127)) {
                *ret_code = status;
                ross_err_clear(err);
                return 0;
        }
        if (r < 0)
                return r;
        _cleanup_close_ int fd = ross_exec_attach_connect(c, eid, err);
        if (fd < 0)
                return fd;
        int64_t deadline = ross_now_ms() + GUEST_TIMEOUT;
        _cleanup_(ross_buf_free) RossBuf in = {};
        for (;;) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int k = poll(&p, 1, (int)remaining(deadline));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return ross_errx(err, ETIMEDOUT, "ps in the VM gave no answer in %d s",
                                         GUEST_TIMEOUT / 1000);
                char buf[16384];
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (in.len + (size_t)n > PS_OUTPUT_MAX + ROSS_FRAME_MAX)
                        return ross_errx(err, EFBIG, "ps in the VM wrote more than %d MiB",
                                         PS_OUTPUT_MAX >> 20);
                ross_buf_append(&in, buf, (size_t)n);
                int type;
                const char *fp;
                size_t fn;
                bool bad;
                while (ross_frame_next(&in, &type, &fp, &fn, &bad)) {
                        RossBuf *to = type == ROSS_FRAME_STDERR ? errtext : out;
                        if (to->len + fn <= PS_OUTPUT_MAX)
                                ross_buf_append(to, fp, fn);
                        ross_frame_consume(&in, fn);
                }
                if (bad)
                        return ross_errx(err, EPROTO, "ps in the VM: a bad frame from the shim");
        }
        /* the status once the exec's shim has written it */
        for (;;) {
                json_auto_t *info = NULL;
                r = ross_exec_inspect(c, eid, &info, err);
                if (r < 0)
                        return r;
                json_t *code = json_object_get(info, "ExitCode");
                if (json_is_integer(code)) {
                        *ret_code = (int)json_integer_value(code);
                        return 0;
                }
                if (remaining(deadline) == 0)
                        return ross_errx(err, ETIMEDOUT, "ps in the VM did not end in %d s",
                                         GUEST_TIMEOUT / 1000);
                struct timespec ts = {0, 20 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
}

/* A kernel thread as ps shows it: "[kthreadd]". */
static bool kernel_thread(const char *cmd)
{
        size_t n = strlen(cmd);
        return n >= 2 && cmd[0] == '[' && cmd[n - 1] == ']';
}

#define GUEST_LIST "ps -o pid,ppid,args"

/*
 * The guest's processes but its kernel's threads (kthreadd, pid 2, and its children) and the
 * ps that lists them: from `ps -o pid,ppid,args` in the guest (busybox's and procps's ps both
 * take it). The ps that then runs with the user's arguments is not among them either.
 * *ret_code: that ps's exit code (126 or 127 when the image has none).
 */
static int guest_pids(RossContainers *c, const char *id, Pids *ret, int *ret_code, RossError *err)
{
        static char *const argv[] = {"ps", "-o", "pid,ppid,args", NULL};
        _cleanup_(ross_buf_free) RossBuf out = {}, errtext = {};
        int r = guest_run(c, id, argv, &out, &errtext, ret_code, err);
        if (r < 0 || *ret_code != 0)
                return r;
        json_auto_t *list = NULL;
        r = ross_top_parse(out.data ? out.data : "", NULL, 0, &list, err);
        if (r < 0)
                return r;
        json_t *row;
        size_t i;
        json_array_foreach (json_object_get(list, "Processes"), i, row) {
                int pid, ppid;
                const char *args = json_string_value(json_array_get(row, 2)) ?: "";
                if (json_array_size(row) != 3 ||
                    ross_parse_int(json_string_value(json_array_get(row, 0)), 0, INT32_MAX, &pid) <
                            0 ||
                    ross_parse_int(json_string_value(json_array_get(row, 1)), 0, INT32_MAX, &ppid) <
                            0)
                        continue;
                if (pid == 2 || ppid == 2 || kernel_thread(args) || STREQ(args, GUEST_LIST))
                        continue;
                if (add_pid(ret, (pid_t)pid) < 0)
                        return ross_errx(err, E2BIG, "too many processes");
        }
        pids_sort(ret);
        return 0;
}

static int guest_top(RossContainers *c, const char *id, const char *ps_args, json_t **ret,
                     RossError *err)
{
        _cleanup_(ross_argv_free) RossArgv a = {};
        _cleanup_(pids_done) Pids pids = {};
        int code = 0;
        int r = ps_argv(&a, ps_args, err);
        if (r == 0)
                r = guest_pids(c, id, &pids, &code, err);
        if (r < 0)
                return ross_err_prefix(err, "Error running ps");
        if (code == 126 || code == 127) {
                /* no ps in the image: the VM as the host sees it */
                log_debug("top %.12s: no ps in the guest (%d); the VM's host processes", id, code);
                r = shim_children(c, id, &pids, err);
                return r < 0 ? r : host_ps(ps_args, &pids, ret, err);
        }
        if (code != 0)
                return ross_errx(err, EIO, "Error running ps: %s in the VM exited with %d",
                                 GUEST_LIST, code);
        _cleanup_(ross_buf_free) RossBuf out = {}, errtext = {};
        r = guest_run(c, id, ross_argv_get(&a), &out, &errtext, &code, err);
        if (r < 0)
                return ross_err_prefix(err, "Error running ps");
        if (code != 0) {
                _cleanup_free_ char *why = first_line(&errtext, "ps failed");
                return ross_errx(err, EIO, "Error running ps: %s", why);
        }
        return ross_top_parse(out.data ? out.data : "", pid_list(&pids), pids.n, ret, err);
}

int ross_containers_top(RossContainers *c, const char *ref, const char *ps_args, json_t **ret,
                        RossError *err)
{
        _cleanup_free_ char *id = NULL;
        json_auto_t *row = NULL;
        _cleanup_(ross_container_config_free) RossContainerConfig cfg = {};
        int r = ross_top_check_args(STR_EMPTY(ps_args) ? "-ef" : ps_args, err);
        if (r == 0)
                r = ross_containers_resolve(c, ref, &id, err);
        if (r == 0)
                r = ross_containers_config_load(c, id, &row, &cfg, err);
        if (r < 0)
                return r;
        if (!ross_containers_running(c, id))
                return ross_errx(err, EBUSY, "Container %s is not running", id);
        const RossBackend *be = ross_backend_find(cfg.runtime);
        if (!be)
                return ross_errx(err, EINVAL, "container %.12s: unknown runtime %s", id,
                                 cfg.runtime ?: "(none)");
        if (!STREQ(be->kind, "oci")) {
                r = guest_top(c, id, ps_args, ret, err);
                if (r == 0)
                        ross_container_event(c, id, "top", NULL);
                return r;
        }

        _cleanup_free_ char *pidf = ross_containers_path(c, id, "container.pid");
        _cleanup_free_ char *text = NULL;
        int init;
        if (ross_read_file(pidf, 64, &text, NULL, NULL) < 0 ||
            ross_parse_int(text, 1, INT32_MAX, &init) < 0)
                return ross_errx(err, EBUSY, "Container %s is not running", id);
        _cleanup_(pids_done) Pids pids = {};
        r = namespace_pids((pid_t)init, &pids, err);
        if (r == -ENOENT)
                return ross_errx(err, EBUSY, "Container %s is not running", id);
        if (r < 0)
                return r;
        r = host_ps(ps_args, &pids, ret, err);
        if (r == 0)
                ross_container_event(c, id, "top", NULL); /* Docker's too */
        return r;
}
