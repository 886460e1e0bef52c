/* SPDX-License-Identifier: Apache-2.0 */
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include "../backend/backend.h"
#include "../basic/fileio.h"
#include "../basic/log.h"
#include "../daemon/daemon.h"
#include "../registry/auth.h"
#include "../registry/client.h"
#include "config.h"
#include "handlers.h"

enum MHD_Result ross_api_ping(RossRequest *req)
{
        struct MHD_Response *resp =
                MHD_create_response_from_buffer(2, (void *)"OK", MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
        MHD_add_response_header(resp, "Cache-Control", "no-cache, no-store, must-revalidate");
        ross_response_headers(resp);
        enum MHD_Result r = MHD_queue_response(req->conn, MHD_HTTP_OK, resp);
        MHD_destroy_response(resp);
        return r;
}

static const char *goarch(const char *machine)
{
        if (STREQ(machine, "x86_64"))
                return "amd64";
        if (STREQ(machine, "aarch64"))
                return "arm64";
        return machine;
}

enum MHD_Result ross_api_version(RossRequest *req)
{
        struct utsname u;
        uname(&u);
        json_t *details = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ApiVersion",
                                    ROSS_API_VERSION, "MinAPIVersion", ROSS_API_MIN_VERSION, "Os",
                                    "linux", "Arch", goarch(u.machine), "KernelVersion", u.release,
                                    "GitCommit", "", "GoVersion", "n/a", "Experimental", "false");
        json_t *o = json_pack("{s:{s:s}, s:[{s:s, s:s, s:o}], s:s, s:s, s:s, s:s, s:s, s:s, "
                              "s:s, s:s, s:s}",
                              "Platform", "Name", "Ross", "Components", "Name", "Engine", "Version",
                              ROSS_VERSION, "Details", details, "Version", ROSS_VERSION,
                              "ApiVersion", ROSS_API_VERSION, "MinAPIVersion", ROSS_API_MIN_VERSION,
                              "GitCommit", "", "GoVersion", "n/a", "Os", "linux", "Arch",
                              goarch(u.machine), "KernelVersion", u.release, "BuildTime", "");
        return ross_reply_json(req, MHD_HTTP_OK, o);
}

/* The absolute path of a program found in PATH, or its bare name. */
/* PRETTY_NAME of /etc/os-release, as Docker's OperatingSystem. */
static char *os_name(void)
{
        _cleanup_free_ char *text = NULL;
        if (ross_read_file("/etc/os-release", 64 * 1024, &text, NULL, NULL) < 0)
                return xstrdup("Linux");
        for (char *line = text; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                if (strncmp(line, "PRETTY_NAME=", 12) == 0) {
                        char *v = line + 12;
                        size_t n = strlen(v);
                        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
                                v[n - 1] = '\0';
                                v++;
                        }
                        return xstrdup(v);
                }
                line = nl ? nl + 1 : NULL;
        }
        return xstrdup("Linux");
}

/* Docker's name for the filesystem under the data dir ("extfs" for ext2/3/4). */
static const char *backing_fs(const char *dir)
{
        struct statfs sf;
        if (statfs(dir, &sf) < 0)
                return "unknown";
        switch ((unsigned long)sf.f_type) {
        case EXT4_SUPER_MAGIC:
                return "extfs";
        case XFS_SUPER_MAGIC:
                return "xfs";
        case BTRFS_SUPER_MAGIC:
                return "btrfs";
        case TMPFS_MAGIC:
                return "tmpfs";
        case OVERLAYFS_SUPER_MAGIC:
                return "overlayfs";
        default:
                return "unknown";
        }
}

enum MHD_Result ross_api_info(RossRequest *req)
{
        RossDaemon *d = req->daemon;
        RossError err = {};
        RossContainerCounts n = {};
        const char *log_driver =
                json_string_value(json_object_get(d->containers.log_default, "Type"))
                        ?: "json-file";
        struct utsname u;
        struct sysinfo si;
        struct timespec now;
        char host[256] = "", when[64];
        uname(&u);
        sysinfo(&si);
        gethostname(host, sizeof(host) - 1);
        clock_gettime(CLOCK_REALTIME, &now);
        struct tm tm;
        gmtime_r(&now.tv_sec, &tm);
        size_t k = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(when + k, sizeof(when) - k, ".%09ldZ", now.tv_nsec);

        json_auto_t *imgs = NULL;
        if (ross_containers_count(&d->containers, &n, &err) < 0 ||
            ross_db_image_list(d->db, &imgs, &err) < 0)
                return ross_reply_error(req, &err);
        /* Insecure registries are host:port names, not CIDRs: Docker lists those under
         * IndexConfigs with Secure false. */
        json_t *index_configs = json_object();
        for (char **i = d->cfg.insecure_registries; i && *i; i++)
                json_object_set_new(index_configs, *i,
                                    json_pack("{s:s, s:[], s:b, s:b}", "Name", *i, "Mirrors",
                                              "Secure", 0, "Official", 0));
        /* every runtime the backends offer, with the program it runs */
        json_t *runtimes = json_object();
        for (const RossBackend *const *b = ross_backends(); *b; b++) {
                _cleanup_free_ char *path = (*b)->program ? (*b)->program(*b) : NULL;
                json_object_set_new(runtimes, (*b)->name,
                                    json_pack("{s:s}", "path", path ? path : (*b)->name));
        }
        _cleanup_free_ char *os = os_name();
        struct stat st;
        /* a unified hierarchy at /sys/fs/cgroup is v2; v1 and hybrid hosts are "1" */
        const char *cgv = stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0 ? "2" : "1";
        bool mem = stat(STREQ(cgv, "2") ? "/sys/fs/cgroup/cgroup.controllers"
                                        : "/sys/fs/cgroup/memory",
                        &st) == 0;
        bool pids = STREQ(cgv, "2") || stat("/sys/fs/cgroup/pids", &st) == 0;

        json_t *o = json_pack(
                "{s:s, s:i, s:i, s:i, s:i, s:i, s:s, s:[[s,s],[s,s],[s,s],[s,s]], s:{s:[s], "
                "s:[s,s], s:n, s:[s,s]}, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, "
                "s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:s, s:s, "
                "s:[], s:s, s:o, s:s, s:{s:s, s:s, s:s, s:b, s:s, s:n}, "
                "s:s, s:s, s:[s,s], s:[]}",
                "ID", d->id, "Containers", n.total, "ContainersRunning", n.running,
                "ContainersPaused", n.paused, "ContainersStopped", n.stopped, "Images",
                (int)json_array_size(imgs), "Driver", "overlayfs", "DriverStatus",
                "Backing "
                "Filesystem",
                backing_fs(d->cfg.data_dir), "Supports d_type", "true", "Using metacopy", "false",
                "Native Overlay Diff", "true", "Plugins", "Volume", "local", "Network", "host",
                "null", "Authorization", "Log", "json-file", "none", "MemoryLimit", mem,
                "SwapLimit", 0, "CpuCfsPeriod", 1, "CpuCfsQuota", 1, "CPUShares", 1, "CPUSet", 1,
                "PidsLimit", pids, "IPv4Forwarding", 0, "Debug", ross_log_enabled(ROSS_LOG_DEBUG),
                "OomKillDisable", 0, "ExperimentalBuild", 0, "LiveRestoreEnabled", 1, "SystemTime",
                when, "LoggingDriver", log_driver, "CgroupDriver", "cgroupfs", "CgroupVersion", cgv,
                "KernelVersion", u.release, "OperatingSystem", os, "OSVersion", "", "OSType",
                "linux", "Architecture", u.machine, "IndexServerAddress",
                "https://index.docker.io/v1/", "NCPU", (int)sysconf(_SC_NPROCESSORS_ONLN),
                "MemTotal", (json_int_t)si.totalram * si.mem_unit, "DockerRootDir", d->cfg.data_dir,
                "Name", host, "ServerVersion", ROSS_VERSION, "Labels", "DefaultRuntime",
                d->containers.default_runtime, "Runtimes", runtimes, "Isolation", "", "Swarm",
                "NodeID", "", "NodeAddr", "", "LocalNodeState", "inactive", "ControlAvailable", 0,
                "Error", "", "RemoteManagers", "InitBinary", "ross-init", "HttpProxy", "",
                "SecurityOptions", "name=no-new-privileges", "name=cgroupns", "Warnings");
        json_object_set_new(o, "HttpsProxy", json_string(""));
        json_object_set_new(o, "NoProxy", json_string(""));
        json_object_set_new(o, "RegistryConfig",
                            json_pack("{s:o, s:[], s:[]}", "IndexConfigs", index_configs,
                                      "InsecureRegistryCIDRs", "Mirrors"));
        json_object_set_new(o, "NFd", json_integer(0));
        json_object_set_new(o, "NGoroutines", json_integer(0));
        json_object_set_new(o, "NEventsListener", json_integer(0));
        return ross_reply_json(req, MHD_HTTP_OK, o);
}

/* Docker's clients send "https://index.docker.io/v1/" or "host:port" or a URL. */
static char *registry_domain(const char *addr)
{
        const char *p = addr;
        if (strncmp(p, "https://", 8) == 0)
                p += 8;
        else if (strncmp(p, "http://", 7) == 0)
                p += 7;
        size_t n = strcspn(p, "/");
        char *d = xstrndup(p, n);
        if (STREQ(d, "index.docker.io") || STREQ(d, "registry-1.docker.io") || !*d) {
                free(d);
                d = xstrdup("docker.io");
        }
        return d;
}

enum MHD_Result ross_api_auth(RossRequest *req)
{
        RossDaemon *d = req->daemon;
        const char *user = NULL, *pass = NULL, *addr = NULL;
        RossError err = {};
        json_error_t jerr;

        json_auto_t *j = json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, &jerr);
        if (!j || json_unpack_ex(j, &jerr, 0, "{s?s, s?s, s?s}", "username", &user, "password",
                                 &pass, "serveraddress", &addr) < 0)
                return ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST, "invalid auth request: %s",
                                         jerr.text);
        _cleanup_free_ char *domain = registry_domain(addr ? addr : "");
        RossCreds creds = {.username = (char *)user, .password = (char *)pass};
        RossRegistry *reg = NULL;
        int r = ross_registry_new(&d->registry, domain, &creds, &reg, &err);
        if (r == 0)
                r = ross_registry_login(reg, &err);
        ross_registry_free(reg);
        if (r < 0) {
                unsigned status =
                        err.code == EACCES ? MHD_HTTP_UNAUTHORIZED : ross_http_status_for(err.code);
                return ross_reply_json(req, status, json_pack("{s:s}", "message", err.msg));
        }
        return ross_reply_json(
                req, MHD_HTTP_OK,
                json_pack("{s:s, s:s}", "Status", "Login Succeeded", "IdentityToken", ""));
}
