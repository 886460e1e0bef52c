/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/sysinfo.h>
#include <sys/utsname.h>

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

enum MHD_Result ross_api_info(RossRequest *req)
{
        RossDaemon *d = req->daemon;
        struct utsname u;
        struct sysinfo si;
        char host[256] = "";
        uname(&u);
        sysinfo(&si);
        gethostname(host, sizeof(host) - 1);

        json_t *imgs = ross_db_image_list(d->db);
        /* Insecure registries are host:port names, not CIDRs: Docker lists those under
         * IndexConfigs with Secure false. */
        json_t *index_configs = json_object();
        for (char **i = d->cfg.insecure_registries; i && *i; i++)
                json_object_set_new(index_configs, *i,
                                    json_pack("{s:s, s:[], s:b, s:b}", "Name", *i, "Mirrors",
                                              "Secure", 0, "Official", 0));

        json_t *o = json_pack(
                "{s:s, s:i, s:i, s:i, s:i, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:s, "
                "s:s, s:s, s:{s:o, s:[], s:[]}, s:s, s:s, s:[]}",
                "ID", d->id, "Containers", 0, "ContainersRunning", 0, "ContainersPaused", 0,
                "ContainersStopped", 0, "Images", (int)json_array_size(imgs), "Driver", "overlay",
                "DockerRootDir", d->cfg.data_dir, "OperatingSystem", "Linux", "OSType", "linux",
                "Architecture", u.machine, "KernelVersion", u.release, "NCPU",
                (int)sysconf(_SC_NPROCESSORS_ONLN), "MemTotal",
                (json_int_t)si.totalram * si.mem_unit, "Name", host, "ServerVersion", ROSS_VERSION,
                "IndexServerAddress", "https://index.docker.io/v1/", "RegistryConfig",
                "IndexConfigs", index_configs, "InsecureRegistryCIDRs", "Mirrors", "CgroupDriver",
                "cgroupfs", "LoggingDriver", "json-file", "SecurityOptions");
        json_decref(imgs);
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

        json_t *j = json_loadb(req->body.data ? req->body.data : "", req->body.len, 0, &jerr);
        if (!j || json_unpack_ex(j, &jerr, 0, "{s?s, s?s, s?s}", "username", &user, "password",
                                 &pass, "serveraddress", &addr) < 0) {
                json_decref(j);
                return ross_reply_errorf(req, MHD_HTTP_BAD_REQUEST, "invalid auth request: %s",
                                         jerr.text);
        }
        _cleanup_free_ char *domain = registry_domain(addr ? addr : "");
        RossCreds creds = {.username = (char *)user, .password = (char *)pass};
        RossRegistry *reg = NULL;
        int r = ross_registry_new(&d->registry, domain, &creds, &reg, &err);
        if (r == 0)
                r = ross_registry_login(reg, &err);
        ross_registry_free(reg);
        json_decref(j);
        if (r < 0) {
                unsigned status =
                        err.code == EACCES ? MHD_HTTP_UNAUTHORIZED : ross_http_status_for(err.code);
                return ross_reply_json(req, status, json_pack("{s:s}", "message", err.msg));
        }
        return ross_reply_json(
                req, MHD_HTTP_OK,
                json_pack("{s:s, s:s}", "Status", "Login Succeeded", "IdentityToken", ""));
}
