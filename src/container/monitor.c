/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's eye on its running containers: one inotify watch on each running
 * container's directory, and when its shim renames the exit file into place the exit is
 * handled once: the die event, then what the container service does after an exit (its
 * restart policy). The shims do not need the daemon; this only lets the daemon react when
 * it is there. A stop or a removal that waited for the exit asks for it to be handled at
 * once (ross_monitor_settle), so that die comes before stop and destroy, as Docker has it.
 * An exec's directory is watched the same way from its start to its one exit (exec_die).
 */
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../basic/fileio.h"
#include "../basic/jsonfile.h"
#include "../basic/log.h"
#include "../basic/macros.h"
#include "containers.h"
#include "monitor.h"

typedef struct Watch {
        int wd;
        char id[65];             /* the container's */
        char eid[65];            /* an exec's watch: its id; "" for the container's */
        int code;                /* an exec's exit code, read with its exit under the lock */
        struct timespec handled; /* the mtime of the exit file last handled */
        struct Watch *next;
} Watch;

static struct {
        pthread_mutex_t lock;
        int ifd, stopfd;
        pthread_t th;
        bool running;
        Watch *watches;
        RossContainers *c;
        RossMonitorExitFn on_exit;
        RossMonitorExecExitFn on_exec_exit;
} mon = {.lock = PTHREAD_MUTEX_INITIALIZER, .ifd = -1, .stopfd = -1};

static Watch *find_id(const char *id)
{
        for (Watch *w = mon.watches; w; w = w->next)
                if (STREQ(w->id, id) && !*w->eid)
                        return w;
        return NULL;
}

/* Under the lock: unlink w from the list (the caller frees it). */
static void unlink_watch(Watch *w)
{
        for (Watch **pw = &mon.watches; *pw; pw = &(*pw)->next)
                if (*pw == w) {
                        *pw = w->next;
                        return;
                }
}

/* The exec directory's file (caller frees). */
static char *exec_file(const Watch *w, const char *file)
{
        _cleanup_free_ char *rel = xasprintf("exec/%s/%s", w->eid, file);
        return ross_containers_path(mon.c, w->id, rel);
}

static Watch *find_wd(int wd)
{
        for (Watch *w = mon.watches; w; w = w->next)
                if (w->wd == wd)
                        return w;
        return NULL;
}

/* Under the lock: is there an exit not handled yet? Marks it handled. */
static bool take_exit(Watch *w)
{
        _cleanup_free_ char *p = *w->eid ? exec_file(w, "exit.json")
                                         : ross_containers_path(mon.c, w->id, "exit.json");
        struct stat st;
        if (stat(p, &st) < 0)
                return false;
        if (*w->eid) {
                /* an exec exits once; its code is read now, before its files may go */
                json_auto_t *j = ross_read_json(p, ROSS_STATE_JSON_MAX);
                if (!j)
                        return false;
                w->code = (int)json_integer_value(json_object_get(j, "ExitCode"));
                return true;
        }
        if (st.st_mtim.tv_sec == w->handled.tv_sec && st.st_mtim.tv_nsec == w->handled.tv_nsec)
                return false;
        _cleanup_free_ char *sp = ross_containers_path(mon.c, w->id, "started");
        struct stat ss;
        /* an exit file older than the last start is the run before's */
        if (stat(sp, &ss) == 0 &&
            (st.st_mtim.tv_sec < ss.st_mtim.tv_sec ||
             (st.st_mtim.tv_sec == ss.st_mtim.tv_sec && st.st_mtim.tv_nsec < ss.st_mtim.tv_nsec)))
                return false;
        w->handled = st.st_mtim;
        return true;
}

/* Under the lock: an exec's exit taken, its watch (w) ended and freed; *ret_code its exit
 * code. false, w untouched, when it has not exited. */
static bool take_exec_exit(Watch *w, int *ret_code)
{
        if (!take_exit(w))
                return false;
        *ret_code = w->code;
        (void)inotify_rm_watch(mon.ifd, w->wd);
        unlink_watch(w); /* nothing when it was not in the list yet */
        free(w);
        return true;
}

static void handle(const char *id)
{
        if (mon.on_exit)
                mon.on_exit(mon.c, id);
}

static void handle_exec(const char *id, const char *eid, int code)
{
        if (mon.on_exec_exit)
                mon.on_exec_exit(mon.c, id, eid, code);
}

static void *monitor_thread(void *ud)
{
        char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
        for (;;) {
                struct pollfd p[2] = {{.fd = mon.ifd, .events = POLLIN},
                                      {.fd = mon.stopfd, .events = POLLIN}};
                if (poll(p, 2, -1) < 0)
                        continue;
                if (p[1].revents)
                        break;
                ssize_t n = read(mon.ifd, buf, sizeof(buf));
                for (char *q = buf; n > 0 && q < buf + n;) {
                        struct inotify_event *ev = (struct inotify_event *)q;
                        q += sizeof(*ev) + ev->len;
                        /* the directory went (an exec's, with its container): forget it */
                        if (ev->mask & IN_IGNORED) {
                                pthread_mutex_lock(&mon.lock);
                                Watch *w = find_wd(ev->wd);
                                if (w && *w->eid) {
                                        unlink_watch(w);
                                        free(w);
                                }
                                pthread_mutex_unlock(&mon.lock);
                                continue;
                        }
                        if (!(ev->mask & IN_MOVED_TO) || ev->len == 0 ||
                            !STREQ(ev->name, "exit.json"))
                                continue;
                        char id[65] = "", eid[65] = "";
                        int code = 0;
                        bool exec_exit = false, container_exit = false;
                        pthread_mutex_lock(&mon.lock);
                        Watch *w = find_wd(ev->wd);
                        if (w) {
                                snprintf(id, sizeof(id), "%s", w->id);
                                snprintf(eid, sizeof(eid), "%s", w->eid);
                                if (*eid)
                                        exec_exit = take_exec_exit(w, &code);
                                else
                                        container_exit = take_exit(w);
                        }
                        pthread_mutex_unlock(&mon.lock);
                        if (exec_exit)
                                handle_exec(id, eid, code);
                        else if (container_exit)
                                handle(id);
                }
        }
        return NULL;
}

int ross_monitor_start(RossContainers *c, RossMonitorExitFn on_exit,
                       RossMonitorExecExitFn on_exec_exit)
{
        mon.c = c;
        mon.on_exit = on_exit;
        mon.on_exec_exit = on_exec_exit;
        mon.ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        mon.stopfd = eventfd(0, EFD_CLOEXEC);
        if (mon.ifd < 0 || mon.stopfd < 0)
                return -errno;
        if (pthread_create(&mon.th, NULL, monitor_thread, NULL) != 0)
                return -EAGAIN;
        mon.running = true;
        return 0;
}

void ross_monitor_stop(void)
{
        if (mon.running) {
                uint64_t one = 1;
                (void)!write(mon.stopfd, &one, sizeof(one));
                pthread_join(mon.th, NULL);
                mon.running = false;
        }
        pthread_mutex_lock(&mon.lock);
        while (mon.watches) {
                Watch *w = mon.watches;
                mon.watches = w->next;
                free(w);
        }
        pthread_mutex_unlock(&mon.lock);
        mon.ifd = safe_close(mon.ifd);
        mon.stopfd = safe_close(mon.stopfd);
}

void ross_monitor_watch(RossContainers *c, const char *id)
{
        if (mon.ifd < 0)
                return;
        _cleanup_free_ char *dir = ross_containers_path(c, id, NULL);
        bool now = false;
        pthread_mutex_lock(&mon.lock);
        Watch *w = find_id(id);
        int wd = inotify_add_watch(mon.ifd, dir, IN_MOVED_TO);
        if (wd >= 0 && !w) {
                w = xcalloc(1, sizeof(*w));
                snprintf(w->id, sizeof(w->id), "%s", id);
                w->next = mon.watches;
                mon.watches = w;
        }
        if (w && wd >= 0) {
                w->wd = wd;
                /* an exit that came before the watch */
                now = take_exit(w);
        }
        pthread_mutex_unlock(&mon.lock);
        if (now)
                handle(id);
}

void ross_monitor_watch_exec(RossContainers *c, const char *id, const char *eid)
{
        if (mon.ifd < 0)
                return;
        _cleanup_free_ char *rel = xasprintf("exec/%s", eid);
        _cleanup_free_ char *dir = ross_containers_path(c, id, rel);
        bool now = false;
        int code = 0;
        pthread_mutex_lock(&mon.lock);
        int wd = inotify_add_watch(mon.ifd, dir, IN_MOVED_TO);
        if (wd >= 0) {
                Watch *w = xcalloc(1, sizeof(*w));
                w->wd = wd;
                snprintf(w->id, sizeof(w->id), "%s", id);
                snprintf(w->eid, sizeof(w->eid), "%s", eid);
                /* an exit that came before the watch: handled now, the watch not kept */
                now = take_exec_exit(w, &code);
                if (!now) {
                        w->next = mon.watches;
                        mon.watches = w;
                }
        }
        pthread_mutex_unlock(&mon.lock);
        if (now)
                handle_exec(id, eid, code);
}

void ross_monitor_settle_exec(RossContainers *c, const char *id, const char *eid)
{
        bool now = false;
        int code = 0;
        pthread_mutex_lock(&mon.lock);
        for (Watch *w = mon.watches; w; w = w->next) {
                if (STREQ(w->id, id) && STREQ(w->eid, eid)) {
                        now = take_exec_exit(w, &code);
                        break;
                }
        }
        pthread_mutex_unlock(&mon.lock);
        if (now)
                handle_exec(id, eid, code);
}

void ross_monitor_settle(RossContainers *c, const char *id)
{
        bool now = false;
        pthread_mutex_lock(&mon.lock);
        Watch *w = find_id(id);
        if (w)
                now = take_exit(w);
        pthread_mutex_unlock(&mon.lock);
        if (now)
                handle(id);
}

void ross_monitor_forget(RossContainers *c, const char *id)
{
        pthread_mutex_lock(&mon.lock);
        /* the container's watch and its execs' */
        for (Watch **pw = &mon.watches; *pw;) {
                if (STREQ((*pw)->id, id)) {
                        Watch *w = *pw;
                        *pw = w->next;
                        (void)inotify_rm_watch(mon.ifd, w->wd);
                        free(w);
                } else
                        pw = &(*pw)->next;
        }
        pthread_mutex_unlock(&mon.lock);
}
