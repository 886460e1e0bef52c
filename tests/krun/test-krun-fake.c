/* SPDX-License-Identifier: Apache-2.0 */
/* The libkrun test double (tests/krun/fake-libkrun.c), loaded as Ross's krun backend will load
 * libkrun, with dlopen: which calls each library exports (the full ABI; libkrun 1.0.0's alone;
 * libkrun 1.8's alone), that each says it is the double, the JSON lines its calls write, the
 * checks it shares with libkrun, forced failures, and in forked children krun_start_enter's
 * exit status and where the guest's output goes.
 *   test-krun-fake FULL.so MIN.so 1.8.so */
#include <dlfcn.h>
#include <jansson.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "basic/fileio.h"
#include "basic/macros.h"
#include "krun-abi.h"
#include "tap.h"

/* the calls of the full library; those of libkrun 1.0.0 are in the minimal one too, those
 * of libkrun 1.8 in the 1.8 one */
static const struct {
        const char *name;
        bool in_1_0, in_1_8;
} symbols[] = {
        {"krun_set_log_level", true, true},
        {"krun_create_ctx", true, true},
        {"krun_free_ctx", true, true},
        {"krun_set_vm_config", true, true},
        {"krun_set_root", true, true},
        {"krun_set_mapped_volumes", true, true},
        {"krun_set_port_map", true, true},
        {"krun_set_rlimits", true, true},
        {"krun_set_workdir", true, true},
        {"krun_set_exec", true, true},
        {"krun_start_enter", true, true},
        {"krun_set_env", false, true},
        {"krun_set_data_disk", false, true},
        {"krun_set_passt_fd", false, true},
        {"krun_add_virtiofs", false, true},
        {"krun_add_vsock_port", false, true},
        {"krun_set_gvproxy_path", false, true},
        {"krun_set_net_mac", false, true},
        {"krun_set_gpu_options", false, true},
        {"krun_set_console_output", false, true},
        {"krun_set_smbios_oem_strings", false, false},
        {"krun_add_virtiofs2", false, false},
        {"krun_set_gpu_options2", false, false},
        {"krun_add_disk", false, false},
        {"krun_add_vsock_port2", false, false},
        {"krun_add_disk2", false, false},
        {"krun_set_kernel", false, false},
        {"krun_setuid", false, false},
        {"krun_setgid", false, false},
        {"krun_set_nested_virt", false, false},
        {"krun_split_irqchip", false, false},
        {"krun_check_nested_virt", false, false},
        {"krun_init_log", false, false},
        {"krun_add_net_unixstream", false, false},
        {"krun_get_max_vcpus", false, false},
        {"krun_disable_implicit_console", false, false},
        {"krun_add_virtio_console_default", false, false},
        {"krun_add_serial_console_default", false, false},
        {"krun_set_kernel_console", false, false},
        {"krun_add_virtio_console_multiport", false, false},
        {"krun_add_console_port_tty", false, false},
        {"krun_add_console_port_inout", false, false},
        {"krun_disable_implicit_vsock", false, false},
        {"krun_add_vsock", false, false},
        {"krun_add_disk3", false, false},
        {"krun_has_feature", false, false},
        {"krun_add_virtiofs3", false, false},
        {"krun_disable_implicit_init", false, false},
};

static void *need(void *h, const char *name)
{
        void *p = dlsym(h, name);
        if (!p) {
                printf("Bail out! %s is not exported\n", name);
                exit(1);
        }
        return p;
}

/* The library's function name, typed by its declaration in krun-abi.h. */
#define K(h, name) ((__typeof__(&name))need(h, #name))

static char *use_log(const char *dir, const char *name)
{
        char *path = xasprintf("%s/%s.jsonl", dir, name);
        setenv("ROSS_FAKE_KRUN_LOG", path, 1);
        return path;
}

static char *slurp(const char *path)
{
        char *data = NULL;
        size_t len = 0;
        if (ross_read_file(path, 1 << 20, &data, &len, NULL) < 0)
                return xstrdup("(unreadable)");
        return data;
}

/* The log's lines, each with its newline; NULL-terminated. */
static char **log_lines(const char *path, size_t *ret_n)
{
        _cleanup_free_ char *data = slurp(path);
        size_t n = 0;
        char **v = xcalloc(1, sizeof(char *));
        for (char *p = data; *p;) {
                char *nl = strchrnul(p, '\n');
                size_t len = (size_t)(nl - p) + (*nl ? 1 : 0);
                v = xrealloc(v, (n + 2) * sizeof(char *));
                v[n++] = xstrndup(p, len);
                v[n] = NULL;
                p += len;
        }
        *ret_n = n;
        return v;
}

static void strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

static void put_file(const char *path, const char *text)
{
        if (ross_write_file_atomic(path, text, strlen(text), 0644, NULL) < 0) {
                printf("Bail out! cannot write %s\n", path);
                exit(1);
        }
}

/* Run body(h, dir) in a child, which must end the process; its wait status. */
static int in_child(void (*body)(void *h, const char *dir), void *h, const char *dir)
{
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
                body(h, dir);
                _exit(99); /* body returned: krun_start_enter did */
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid)
                return -1;
        return status;
}

static void redirect(int fd, const char *path)
{
        int f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (f < 0 || dup2(f, fd) < 0)
                _exit(98);
        close(f);
}

static void test_exports(void *full, void *min, void *v18)
{
        size_t in_full = 0, in_min = 0, in_18 = 0, wrong = 0;
        for (size_t i = 0; i < ELEMENTSOF(symbols); i++) {
                bool f = dlsym(full, symbols[i].name) != NULL;
                bool m = dlsym(min, symbols[i].name) != NULL;
                bool e = dlsym(v18, symbols[i].name) != NULL;
                in_full += f;
                in_min += m;
                in_18 += e;
                if (!f || m != symbols[i].in_1_0 || e != symbols[i].in_1_8) {
                        printf("# %s: full %d, min %d, 1.8 %d\n", symbols[i].name, f, m, e);
                        wrong++;
                }
        }
        ok(in_full == ELEMENTSOF(symbols), "the full library exports all %zu calls",
           ELEMENTSOF(symbols));
        ok(in_min == 11 && wrong == 0, "the minimal library exports libkrun 1.0.0's 11 calls only");
        ok(in_18 == 20 && wrong == 0, "the 1.8 library exports libkrun 1.8's 20 calls only");
        ok(!dlsym(v18, "krun_disable_implicit_console") && dlsym(v18, "krun_set_console_output"),
           "the 1.8 library has krun_set_console_output, not the console calls of 1.16");
        ok(!dlsym(min, "krun_add_virtiofs3") && !dlsym(min, "krun_set_env") &&
                   !dlsym(min, "krun_init_log") && !dlsym(min, "krun_get_max_vcpus"),
           "the minimal library lacks krun_add_virtiofs3, krun_set_env, krun_init_log, "
           "krun_get_max_vcpus");
        ok(!dlsym(full, "fake") && !dlsym(full, "forced_error") && !dlsym(full, "rec_end"),
           "the double's own symbols stay hidden");
        /* what Ross's probe asks: is it the double? */
        void *libs[] = {full, min, v18};
        size_t says = 0, quiet = 0;
        for (size_t i = 0; i < ELEMENTSOF(libs); i++) {
                int (*test_double)(void) = dlsym(libs[i], "ross_krun_test_double");
                says += test_double && test_double() == 1;
                setenv("ROSS_FAKE_KRUN_AS_REAL", "1", 1);
                quiet += test_double && test_double() == 0;
                unsetenv("ROSS_FAKE_KRUN_AS_REAL");
        }
        ok(says == 3 && quiet == 3,
           "each library says it is the double (ross_krun_test_double() 1), and with "
           "ROSS_FAKE_KRUN_AS_REAL=1 it does not (0)");
}

/* Calls of the full library and the exact lines they log. */
static void test_calls(void *h, const char *dir)
{
        _cleanup_free_ char *log = use_log(dir, "calls");
        _cleanup_free_ char *sock = xasprintf("%s/ctl.sock", dir);
        _cleanup_free_ char *there = xasprintf("%s/there", dir);
        put_file(there, "");
        const char *argv[] = {"-c", "echo \"hi\" \\ done\n\ttab\x01\x7f", NULL};
        const char *envp[] = {"A=1", "B=\xc3\xa9t\xc3\xa9", NULL};
        const char *rlimits[] = {"7=1024:2048", "6=4096:8192", NULL};
        const char *ports[] = {"8080:80", "2222:22", NULL};
        const char *bad_ports[] = {"80", NULL};
        const char *dup_ports[] = {"1:2", "3:2", NULL};
        const char *none[] = {NULL};
        uint8_t mac[6] = {0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee};

        int32_t ctx = K(h, krun_create_ctx)();
        ok(ctx == 0, "krun_create_ctx: the first context is 0 (got %d)", ctx);
        ok(K(h, krun_set_vm_config)(ctx, 2, 512) == 0, "krun_set_vm_config");
        ok(K(h, krun_set_vm_config)(ctx, 0, 512) == -EINVAL, "no vCPUs: -EINVAL");
        ok(K(h, krun_set_exec)(ctx, "/bin/sh", argv, NULL) == 0, "krun_set_exec, envp NULL");
        ok(K(h, krun_set_env)(ctx, envp) == 0, "krun_set_env");
        ok(K(h, krun_set_rlimits)(ctx, rlimits) == 0, "krun_set_rlimits");
        ok(K(h, krun_set_port_map)(ctx, ports) == 0, "krun_set_port_map");
        ok(K(h, krun_set_port_map)(ctx, bad_ports) == -EINVAL, "a port map without ':': -EINVAL");
        ok(K(h, krun_set_port_map)(ctx, dup_ports) == -EINVAL, "a guest port twice: -EINVAL");
        ok(K(h, krun_set_port_map)(ctx, none) == 0, "an empty port map");
        ok(K(h, krun_add_virtiofs3)(ctx, "vol0", "/srv/data", 0, true) == 0, "krun_add_virtiofs3");
        ok(K(h, krun_add_vsock_port2)(ctx, 1024, sock, true) == 0, "krun_add_vsock_port2, listen");
        ok(K(h, krun_add_vsock_port2)(ctx, 1025, there, true) == -EEXIST,
           "listening on a path that exists: -EEXIST");
        ok(K(h, krun_set_net_mac)(ctx, mac) == 0, "krun_set_net_mac");
        ok(K(h, krun_set_root)(ctx, "/r\xff") == -EINVAL, "a root path that is not UTF-8: -EINVAL");
        ok(K(h, krun_set_root)(ctx, NULL) == -EINVAL, "a NULL root path: -EINVAL");
        ok(K(h, krun_free_ctx)(99) == -ENOENT, "an unknown context: -ENOENT");
        int32_t con = K(h, krun_add_virtio_console_multiport)(ctx);
        ok(con == 0, "krun_add_virtio_console_multiport: console 0 (got %d)", con);
        ok(K(h, krun_add_console_port_inout)(ctx, (uint32_t)con, "krun-stdout", -1, 1) == 0,
           "krun_add_console_port_inout");
        ok(K(h, krun_add_console_port_inout)(ctx, 7, "x", 0, 1) == -EINVAL,
           "a port on a console that does not exist: -EINVAL");
        ok(K(h, krun_get_max_vcpus)() == 8, "krun_get_max_vcpus: 8 by default");
        setenv("ROSS_FAKE_KRUN_MAX_VCPUS", "3", 1);
        ok(K(h, krun_get_max_vcpus)() == 3, "krun_get_max_vcpus: ROSS_FAKE_KRUN_MAX_VCPUS");
        unsetenv("ROSS_FAKE_KRUN_MAX_VCPUS");
        ok(K(h, krun_has_feature)(1) == 1 && K(h, krun_has_feature)(2) == 0,
           "krun_has_feature: blk yes, gpu no");
        ok(K(h, krun_disable_implicit_vsock)(ctx) == 0, "krun_disable_implicit_vsock");
        ok(K(h, krun_add_vsock_port)(ctx, 1026, sock) == -ENODEV, "then a vsock port: -ENODEV");

        setenv("ROSS_FAKE_KRUN_FAIL", "krun_set_workdir,krun_create_ctx:-ENOMEM,krun_set_root:-19",
               1);
        ok(K(h, krun_set_workdir)(ctx, "/") == -EINVAL, "ROSS_FAKE_KRUN_FAIL=NAME: -EINVAL");
        ok(K(h, krun_create_ctx)() == -ENOMEM, "ROSS_FAKE_KRUN_FAIL=NAME:-ENOMEM");
        ok(K(h, krun_set_root)(ctx, "/r") == -ENODEV, "ROSS_FAKE_KRUN_FAIL=NAME:-19");
        ok(K(h, krun_set_vm_config)(ctx, 1, 128) == 0, "a call it does not name succeeds");
        unsetenv("ROSS_FAKE_KRUN_FAIL");
        ok(K(h, krun_free_ctx)(ctx) == 0, "krun_free_ctx");
        ok(K(h, krun_free_ctx)(ctx) == -ENOENT, "a context freed twice: -ENOENT");

        const char *want[] = {
                "{\"call\":\"krun_create_ctx\",\"ret\":0}\n",
                "{\"call\":\"krun_set_vm_config\",\"ctx\":0,\"num_vcpus\":2,\"ram_mib\":512,"
                "\"ret\":0}\n",
                "{\"call\":\"krun_set_vm_config\",\"ctx\":0,\"num_vcpus\":0,\"ram_mib\":512,"
                "\"ret\":-22}\n",
                "{\"call\":\"krun_set_exec\",\"ctx\":0,\"exec_path\":\"/bin/sh\",\"argv\":[\"-c\","
                "\"echo \\\"hi\\\" \\\\ done\\n\\ttab\\u0001\\u007f\"],\"envp\":null,\"ret\":0}\n",
                "{\"call\":\"krun_set_env\",\"ctx\":0,\"envp\":[\"A=1\",\"B=\xc3\xa9t\xc3\xa9\"],"
                "\"ret\":0}\n",
                "{\"call\":\"krun_set_rlimits\",\"ctx\":0,\"rlimits\":[\"7=1024:2048\","
                "\"6=4096:8192\"],\"ret\":0}\n",
                "{\"call\":\"krun_set_port_map\",\"ctx\":0,\"port_map\":[\"8080:80\",\"2222:22\"],"
                "\"ret\":0}\n",
                "{\"call\":\"krun_set_port_map\",\"ctx\":0,\"port_map\":[\"80\"],\"ret\":-22}\n",
                "{\"call\":\"krun_set_port_map\",\"ctx\":0,\"port_map\":[\"1:2\",\"3:2\"],"
                "\"ret\":-22}\n",
                "{\"call\":\"krun_set_port_map\",\"ctx\":0,\"port_map\":[],\"ret\":0}\n",
                "{\"call\":\"krun_add_virtiofs3\",\"ctx\":0,\"tag\":\"vol0\","
                "\"path\":\"/srv/data\",\"shm_size\":0,\"read_only\":true,\"ret\":0}\n",
                NULL, /* the vsock port: the path is the test's directory */
                NULL,
                "{\"call\":\"krun_set_net_mac\",\"ctx\":0,\"mac\":\"5a:94:ef:e4:0c:ee\","
                "\"ret\":0}\n",
                "{\"call\":\"krun_set_root\",\"ctx\":0,\"root_path\":\"/r\\u00ff\",\"ret\":-22}\n",
                "{\"call\":\"krun_set_root\",\"ctx\":0,\"root_path\":null,\"ret\":-22}\n",
                "{\"call\":\"krun_free_ctx\",\"ctx\":99,\"ret\":-2}\n",
                "{\"call\":\"krun_add_virtio_console_multiport\",\"ctx\":0,\"ret\":0}\n",
                "{\"call\":\"krun_add_console_port_inout\",\"ctx\":0,\"console_id\":0,"
                "\"name\":\"krun-stdout\",\"input_fd\":-1,\"output_fd\":1,\"ret\":0}\n",
                "{\"call\":\"krun_add_console_port_inout\",\"ctx\":0,\"console_id\":7,"
                "\"name\":\"x\",\"input_fd\":0,\"output_fd\":1,\"ret\":-22}\n",
                "{\"call\":\"krun_get_max_vcpus\",\"ret\":8}\n",
                "{\"call\":\"krun_get_max_vcpus\",\"ret\":3}\n",
                "{\"call\":\"krun_has_feature\",\"feature\":1,\"ret\":1}\n",
                "{\"call\":\"krun_has_feature\",\"feature\":2,\"ret\":0}\n",
                "{\"call\":\"krun_disable_implicit_vsock\",\"ctx\":0,\"ret\":0}\n",
                NULL,
                "{\"call\":\"krun_set_workdir\",\"ctx\":0,\"workdir_path\":\"/\",\"ret\":-22}\n",
                "{\"call\":\"krun_create_ctx\",\"ret\":-12}\n",
                "{\"call\":\"krun_set_root\",\"ctx\":0,\"root_path\":\"/r\",\"ret\":-19}\n",
                "{\"call\":\"krun_set_vm_config\",\"ctx\":0,\"num_vcpus\":1,\"ram_mib\":128,"
                "\"ret\":0}\n",
                "{\"call\":\"krun_free_ctx\",\"ctx\":0,\"ret\":0}\n",
                "{\"call\":\"krun_free_ctx\",\"ctx\":0,\"ret\":-2}\n",
        };
        _cleanup_free_ char *vsock1 = xasprintf("{\"call\":\"krun_add_vsock_port2\",\"ctx\":0,"
                                                "\"port\":1024,\"filepath\":\"%s\","
                                                "\"listen\":true,\"ret\":0}\n",
                                                sock);
        _cleanup_free_ char *vsock2 = xasprintf("{\"call\":\"krun_add_vsock_port2\",\"ctx\":0,"
                                                "\"port\":1025,\"filepath\":\"%s\","
                                                "\"listen\":true,\"ret\":-17}\n",
                                                there);
        _cleanup_free_ char *vsock3 = xasprintf("{\"call\":\"krun_add_vsock_port\",\"ctx\":0,"
                                                "\"port\":1026,\"filepath\":\"%s\",\"ret\":-19}\n",
                                                sock);
        want[11] = vsock1;
        want[12] = vsock2;
        want[25] = vsock3;

        size_t n;
        char **lines = log_lines(log, &n);
        ok(n == ELEMENTSOF(want), "one log line per call (%zu, want %zu)", n, ELEMENTSOF(want));
        size_t same = 0, valid = 0;
        for (size_t i = 0; i < n && i < ELEMENTSOF(want); i++) {
                if (STREQ(lines[i], want[i]))
                        same++;
                else
                        printf("#   line %zu: got %s#   want %s", i + 1, lines[i], want[i]);
        }
        ok(same == ELEMENTSOF(want), "every line is the call's exact JSON record");
        for (size_t i = 0; i < n; i++) {
                json_t *j = json_loads(lines[i], 0, NULL);
                valid += j != NULL;
                json_decref(j);
        }
        ok(valid == n, "every line is valid JSON for jansson");

        /* the escaped argument reads back as the bytes passed */
        json_t *j = json_loads(lines[3], 0, NULL);
        is_str(json_string_value(json_array_get(json_object_get(j, "argv"), 1)), argv[1],
               "quotes, backslash, newline, tab and control bytes survive the round trip");
        ok(json_is_null(json_object_get(j, "envp")), "a NULL envp is null");
        json_decref(j);
        strv_free(lines);
}

static void child_run(void *h, const char *dir)
{
        _cleanup_free_ char *out = xasprintf("%s/run.out", dir);
        _cleanup_free_ char *err = xasprintf("%s/run.err", dir);
        redirect(STDOUT_FILENO, out);
        redirect(STDERR_FILENO, err);
        setenv("ROSS_FAKE_KRUN_EXIT", "3", 1);
        setenv("ROSS_FAKE_KRUN_RUN", "1", 1);
        setenv("ROSS_FAKE_KRUN_STDOUT", "hello from the guest\n", 1);
        setenv("ROSS_FAKE_KRUN_STDERR", "oops\n", 1);
        int32_t ctx = K(h, krun_create_ctx)();
        const char *argv[] = {"hello", NULL};
        /* not NULL: the process's environment has a newline now, and libkrun would panic */
        const char *envp[] = {"PATH=/bin", NULL};
        K(h, krun_set_exec)(ctx, "/bin/echo", argv, envp);
        K(h, krun_start_enter)(ctx);
}

static void child_console(void *h, const char *dir)
{
        _cleanup_free_ char *in = xasprintf("%s/console.in", dir);
        _cleanup_free_ char *out = xasprintf("%s/console.out", dir);
        setenv("ROSS_FAKE_KRUN_RUN", "cat", 1);
        setenv("ROSS_FAKE_KRUN_STDOUT", "out\n", 1);
        setenv("ROSS_FAKE_KRUN_STDERR", "err\n", 1);
        int in_fd = open(in, O_RDONLY | O_CLOEXEC);
        int out_fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int32_t ctx = K(h, krun_create_ctx)();
        K(h, krun_disable_implicit_console)(ctx);
        K(h, krun_add_virtio_console_default)(ctx, in_fd, out_fd, -1);
        K(h, krun_start_enter)(ctx);
}

static void child_no_console(void *h, const char *dir)
{
        _cleanup_free_ char *out = xasprintf("%s/none.out", dir);
        redirect(STDOUT_FILENO, out);
        setenv("ROSS_FAKE_KRUN_RUN", "1", 1);
        setenv("ROSS_FAKE_KRUN_STDOUT", "lost\n", 1);
        int32_t ctx = K(h, krun_create_ctx)();
        K(h, krun_disable_implicit_console)(ctx);
        K(h, krun_start_enter)(ctx);
}

static void child_console_output(void *h, const char *dir)
{
        _cleanup_free_ char *file = xasprintf("%s/console.log", dir);
        setenv("ROSS_FAKE_KRUN_RUN", "1", 1);
        setenv("ROSS_FAKE_KRUN_STDOUT", "to the file\n", 1);
        setenv("ROSS_FAKE_KRUN_STDERR", "and this\n", 1);
        int32_t ctx = K(h, krun_create_ctx)();
        K(h, krun_set_console_output)(ctx, file);
        K(h, krun_start_enter)(ctx);
}

static void child_fail(void *h, const char *dir)
{
        setenv("ROSS_FAKE_KRUN_FAIL", "krun_start_enter:-ENODEV", 1);
        int32_t ctx = K(h, krun_create_ctx)();
        int32_t ret = K(h, krun_start_enter)(ctx);
        int32_t again = K(h, krun_free_ctx)(ctx);
        _exit(ret == -ENODEV && again == -ENOENT ? 42 : 1);
}

static void child_min(void *h, const char *dir)
{
        setenv("ROSS_FAKE_KRUN_EXIT", "5", 1);
        int32_t ctx = K(h, krun_create_ctx)();
        K(h, krun_set_root)(ctx, "/rootfs");
        K(h, krun_start_enter)(ctx);
}

/* libkrun's env_logger panics on a second logger: the double aborts */
static void child_two_loggers(void *h, const char *dir)
{
        _cleanup_free_ char *err = xasprintf("%s/loggers.err", dir);
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        redirect(STDERR_FILENO, err);
        if (K(h, krun_set_log_level)(2) != 0)
                _exit(1);
        K(h, krun_init_log)(-1, 3, 0, 0);
        _exit(2);
}

/* libkrun panics in krun_start_enter on a command line it cannot build: the double aborts */
static void child_not_ascii(void *h, const char *dir)
{
        _cleanup_free_ char *err = xasprintf("%s/ascii.err", dir);
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        redirect(STDERR_FILENO, err);
        const char *envp[] = {"NAME=\xc3\xa9t\xc3\xa9", NULL};
        int32_t ctx = K(h, krun_create_ctx)();
        if (K(h, krun_set_exec)(ctx, "/bin/true", NULL, envp) != 0)
                _exit(1);
        K(h, krun_start_enter)(ctx);
}

static void child_too_long(void *h, const char *dir)
{
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        redirect(STDERR_FILENO, "/dev/null");
        char *big = xmalloc(70000);
        memset(big, 'a', 69999);
        big[69999] = '\0';
        const char *argv[] = {big, NULL};
        const char *envp[] = {NULL};
        int32_t ctx = K(h, krun_create_ctx)();
        K(h, krun_set_exec)(ctx, "/bin/true", argv, envp);
        K(h, krun_start_enter)(ctx);
}

/* with envp NULL libkrun reads the environment through Rust's env::vars(), which panics on an
 * entry that is not UTF-8; a printable one goes through */
static void child_host_env(void *h, const char *dir)
{
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        redirect(STDERR_FILENO, "/dev/null");
        _cleanup_free_ char *log = xstrdup(getenv("ROSS_FAKE_KRUN_LOG"));
        clearenv();
        setenv("ROSS_FAKE_KRUN_LOG", log, 1);
        setenv("GOOD", "plain value", 1);
        int32_t ctx = K(h, krun_create_ctx)();
        if (K(h, krun_set_exec)(ctx, "/bin/true", NULL, NULL) != 0)
                _exit(1);
        setenv("BAD", "\xff", 1);
        K(h, krun_set_env)(ctx, NULL);
        _exit(2);
}

static bool exited(int status, int code)
{
        return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static void test_start_enter(void *full, void *min, const char *dir)
{
        int status;

        /* the parent's contexts are the child's too: ids go on from there */
        int32_t next = K(full, krun_create_ctx)();
        K(full, krun_free_ctx)(next);
        next++;

        _cleanup_free_ char *log = use_log(dir, "run");
        status = in_child(child_run, full, dir);
        ok(exited(status, 3), "krun_start_enter exits with ROSS_FAKE_KRUN_EXIT (status %#x)",
           status);
        _cleanup_free_ char *out = xasprintf("%s/run.out", dir);
        _cleanup_free_ char *err = xasprintf("%s/run.err", dir);
        _cleanup_free_ char *got_out = slurp(out), *got_err = slurp(err);
        is_str(got_out, "hello from the guest\n", "the guest's stdout on fd 1");
        is_str(got_err, "oops\n", "the guest's stderr on fd 2");
        size_t n;
        char **lines = log_lines(log, &n);
        _cleanup_free_ char *enter =
                xasprintf("{\"call\":\"krun_start_enter\",\"ctx\":%d}\n", next);
        ok(n == 4, "four records: create, exec, start, exit (%zu)", n);
        is_str(n == 4 ? lines[2] : NULL, enter, "krun_start_enter's record has no ret");
        is_str(n == 4 ? lines[3] : NULL, "{\"call\":\"exit\",\"status\":3}\n",
               "then the exit record");
        strv_free(lines);

        _cleanup_free_ char *in = xasprintf("%s/console.in", dir);
        put_file(in, "typed\n");
        status = in_child(child_console, full, dir);
        ok(exited(status, 0), "ROSS_FAKE_KRUN_EXIT unset: status 0 (%#x)", status);
        _cleanup_free_ char *con = xasprintf("%s/console.out", dir);
        _cleanup_free_ char *got_con = slurp(con);
        is_str(got_con, "out\nerr\ntyped\n",
               "krun_add_virtio_console_default's fds: stdout, stderr (err_fd -1), cat of stdin");

        status = in_child(child_no_console, full, dir);
        _cleanup_free_ char *none = xasprintf("%s/none.out", dir);
        _cleanup_free_ char *got_none = slurp(none);
        ok(exited(status, 0) && STREQ(got_none, ""),
           "no console at all: the guest's output is dropped");

        status = in_child(child_console_output, full, dir);
        _cleanup_free_ char *file = xasprintf("%s/console.log", dir);
        _cleanup_free_ char *got_file = slurp(file);
        ok(exited(status, 0), "krun_set_console_output: status 0");
        is_str(got_file, "to the file\nand this\n", "krun_set_console_output's file gets both");

        _cleanup_free_ char *log_fail = use_log(dir, "fail");
        status = in_child(child_fail, full, dir);
        ok(exited(status, 42),
           "a forced krun_start_enter failure returns it, and the context is gone (%#x)", status);
        lines = log_lines(log_fail, &n);
        _cleanup_free_ char *failed =
                xasprintf("{\"call\":\"krun_start_enter\",\"ctx\":%d,\"ret\":-19}\n", next);
        is_str(n == 3 ? lines[1] : NULL, failed, "its record has the error, no exit record");
        strv_free(lines);

        _cleanup_free_ char *log_loggers = use_log(dir, "loggers");
        status = in_child(child_two_loggers, full, dir);
        ok(status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
           "a second logger aborts, as libkrun panics (%#x)", status);
        _cleanup_free_ char *loggers_err = xasprintf("%s/loggers.err", dir);
        _cleanup_free_ char *got_loggers = slurp(loggers_err);
        ok(strstr(got_loggers, "krun_init_log: a logger was already set") != NULL,
           "and says why on stderr");
        lines = log_lines(log_loggers, &n);
        ok(n == 2 && STREQ(lines[1], "{\"call\":\"krun_init_log\",\"target_fd\":-1,\"level\":3,"
                                     "\"style\":0,\"options\":0,\"ret\":0}\n"),
           "the second call is still logged");
        strv_free(lines);

        _cleanup_free_ char *log_ascii = use_log(dir, "ascii");
        status = in_child(child_not_ascii, full, dir);
        ok(status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
           "UTF-8 in the environment aborts krun_start_enter, as libkrun panics (%#x)", status);
        _cleanup_free_ char *ascii_err = xasprintf("%s/ascii.err", dir);
        _cleanup_free_ char *got_ascii = slurp(ascii_err);
        ok(strstr(got_ascii, "byte outside printable ASCII") != NULL, "and says why");
        lines = log_lines(log_ascii, &n);
        _cleanup_free_ char *panic = xasprintf(
                "{\"call\":\"krun_start_enter\",\"ctx\":%d,\"panic\":\"the guest kernel's "
                "command line has a byte outside printable ASCII\"}\n",
                next);
        is_str(n == 3 ? lines[2] : NULL, panic, "the record has panic, not ret");
        strv_free(lines);

        status = in_child(child_too_long, full, dir);
        ok(status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
           "a 70000-byte argument aborts krun_start_enter (%#x)", status);

        _cleanup_free_ char *log_env = use_log(dir, "hostenv");
        status = in_child(child_host_env, full, dir);
        ok(status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
           "envp NULL: an environment entry that is not UTF-8 aborts (%#x)", status);
        lines = log_lines(log_env, &n);
        ok(n == 3 && strstr(lines[1], "\"call\":\"krun_set_exec\"") &&
                   strstr(lines[1], "\"ret\":0") && strstr(lines[2], "\"call\":\"krun_set_env\""),
           "a printable environment goes through; the failing call is logged before the abort");
        strv_free(lines);

        _cleanup_free_ char *log_min = use_log(dir, "min");
        status = in_child(child_min, min, dir);
        ok(exited(status, 5), "the minimal library's krun_start_enter exits too (%#x)", status);
        lines = log_lines(log_min, &n);
        ok(n == 4 && STREQ(lines[0], "{\"call\":\"krun_create_ctx\",\"ret\":0}\n") &&
                   STREQ(lines[1], "{\"call\":\"krun_set_root\",\"ctx\":0,\"root_path\":"
                                   "\"/rootfs\",\"ret\":0}\n"),
           "the minimal library records the same way, with contexts of its own");
        strv_free(lines);
}

int main(int argc, char **argv)
{
        if (argc != 4) {
                printf("Bail out! usage: test-krun-fake FULL.so MIN.so 1.8.so\n");
                return 1;
        }
        void *full = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        void *min = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
        void *v18 = dlopen(argv[3], RTLD_NOW | RTLD_LOCAL);
        if (!full || !min || !v18) {
                printf("Bail out! dlopen: %s\n", dlerror());
                return 1;
        }
        char tmpl[] = "/tmp/ross-test-krun-fake.XXXXXX";
        char *dir = mkdtemp(tmpl);
        if (!dir) {
                printf("Bail out! mkdtemp: %s\n", strerror(errno));
                return 1;
        }
        unsetenv("ROSS_FAKE_KRUN_FAIL");
        unsetenv("ROSS_FAKE_KRUN_RUN");
        unsetenv("ROSS_FAKE_KRUN_EXIT");
        unsetenv("ROSS_FAKE_KRUN_MAX_VCPUS");

        unsetenv("ROSS_FAKE_KRUN_AS_REAL");
        unsetenv("ROSS_FAKE_KRUN_HOLD");

        test_exports(full, min, v18);
        test_calls(full, dir);
        test_start_enter(full, min, dir);

        dlclose(full);
        dlclose(min);
        dlclose(v18);
        if (ross_rm_rf(dir) < 0)
                printf("# could not remove %s\n", dir);
        return tap_done();
}
