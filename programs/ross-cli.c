/* SPDX-License-Identifier: Apache-2.0 */
/* ross-cli: the user's command line; a client of the daemon's API and nothing else. */
#include <getopt.h>

#include "basic/macros.h"
#include "cli/commands.h"
#include "config.h"

typedef int (*Verb)(RossClient *c, int argc, char **argv);

static const struct {
        const char *name;
        Verb fn;
} image_verbs[] = {
        {"pull", ross_cmd_image_pull},
        {"list", ross_cmd_image_list},
        {"ls", ross_cmd_image_list},
        {"inspect", ross_cmd_image_inspect},
        {"rm", ross_cmd_image_rm},
        {"tag", ross_cmd_image_tag},
        {"mount", ross_cmd_image_mount},
        {"unmount", ross_cmd_image_unmount},
        {"umount", ross_cmd_image_unmount},
        {"prune", ross_cmd_image_prune},
        {"rootfs", ross_cmd_image_rootfs},
        {"push", ross_cmd_image_push},
        {"import", ross_cmd_import},
        {"save", ross_cmd_save},
        {"load", ross_cmd_load},
};

static const struct {
        const char *name;
        Verb fn;
} container_verbs[] = {
        {"run", ross_cmd_container_run},         {"create", ross_cmd_container_create},
        {"start", ross_cmd_container_start},     {"logs", ross_cmd_container_logs},
        {"stop", ross_cmd_container_each},       {"kill", ross_cmd_container_each},
        {"rm", ross_cmd_container_each},         {"delete", ross_cmd_container_each},
        {"wait", ross_cmd_container_each},       {"list", ross_cmd_container_list},
        {"ls", ross_cmd_container_list},         {"ps", ross_cmd_container_list},
        {"rename", ross_cmd_container_rename},   {"pause", ross_cmd_container_each},
        {"unpause", ross_cmd_container_each},    {"restart", ross_cmd_container_each},
        {"inspect", ross_cmd_container_inspect}, {"attach", ross_cmd_container_attach},
        {"exec", ross_cmd_container_exec},       {"port", ross_cmd_container_port},
        {"update", ross_cmd_container_update},   {"stats", ross_cmd_container_stats},
        {"top", ross_cmd_container_top},         {"cp", ross_cmd_cp},
        {"diff", ross_cmd_container_diff},       {"export", ross_cmd_export},
        {"prune", ross_cmd_container_prune},     {"commit", ross_cmd_commit},
};

static const struct {
        const char *name;
        Verb fn;
} short_verbs[] = {
        {"run", ross_cmd_container_run},
        {"create", ross_cmd_container_create},
        {"start", ross_cmd_container_start},
        {"logs", ross_cmd_container_logs},
        {"stop", ross_cmd_container_each},
        {"kill", ross_cmd_container_each},
        {"rm", ross_cmd_container_each},
        {"wait", ross_cmd_container_each},
        {"ps", ross_cmd_container_list},
        {"rename", ross_cmd_container_rename},
        {"pause", ross_cmd_container_each},
        {"unpause", ross_cmd_container_each},
        {"restart", ross_cmd_container_each},
        {"pull", ross_cmd_image_pull},
        {"images", ross_cmd_image_list},
        {"rmi", ross_cmd_image_rm},
        {"tag", ross_cmd_image_tag},
        {"login", ross_cmd_login},
        {"logout", ross_cmd_logout},
        {"inspect", ross_cmd_inspect},
        {"version", ross_cmd_version},
        {"attach", ross_cmd_container_attach},
        {"exec", ross_cmd_container_exec},
        {"port", ross_cmd_container_port},
        {"network", ross_cmd_network},
        {"volume", ross_cmd_volume},
        {"events", ross_cmd_events},
        {"update", ross_cmd_container_update},
        {"stats", ross_cmd_container_stats},
        {"top", ross_cmd_container_top},
        {"diff", ross_cmd_container_diff},
        {"cp", ross_cmd_cp},
        {"export", ross_cmd_export},
        {"import", ross_cmd_import},
        {"system", ross_cmd_system},
        {"push", ross_cmd_image_push},
        {"commit", ross_cmd_commit},
        {"save", ross_cmd_save},
        {"load", ross_cmd_load},
};

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: ross-cli [OPTIONS] COMMAND [ARGS...]\n"
                "\n"
                "The Ross container runtime's command line.\n"
                "\n"
                "Options:\n"
                "  -H, --host unix:///PATH   daemon socket (default $ROSS_HOST, else %s)\n"
                "  -h, --help                show this help\n"
                "  -v, --version             show the client version\n"
                "\n"
                "Image commands:\n"
                "  image pull NAME           pull an image from a registry (also: pull)\n"
                "  image push [-a] [-q] NAME[:TAG]\n"
                "                            push an image to its registry (also: push)\n"
                "  image list [-f K=V]       list images (also: image ls, images)\n"
                "  image inspect IMAGE...    show image details as JSON\n"
                "  image rm IMAGE...         remove images (also: rmi)\n"
                "  image tag SOURCE TARGET   give an image another name (also: tag)\n"
                "  image mount IMAGE         mount the image read-only, print the path\n"
                "  image unmount IMAGE       undo image mount\n"
                "  image prune [-a] [-f] [--filter K=V]\n"
                "                            remove unused images, blobs and snapshots\n"
                "  image rootfs IMAGE        print the path of the image's flat rootfs\n"
                "  image import [-c CHANGE] [-m MSG] FILE|- [REPO[:TAG]]\n"
                "                            a tar as an image of one layer (also: import)\n"
                "  image save [-o FILE] IMAGE...  images as Docker's save tar (also: save)\n"
                "  image load [-i FILE] [-q]      images from such a tar or an OCI layout (also:\n"
                "                            load)\n"
                "\n"
                "Container commands (also without 'container': run, create, start, ...):\n"
                "  container run [OPTIONS] IMAGE [CMD...]   create and start; attached unless -d\n"
                "  container create [OPTIONS] IMAGE [CMD...]\n"
                "  container start [-a] [-i] CONTAINER...\n"
                "  container attach [--no-stdin] [--detach-keys KEYS] CONTAINER\n"
                "  container exec [-d] [-i] [-t] [-e K=V] [-u USER] [-w DIR] CONTAINER CMD...\n"
                "  container logs [-f] [--tail N] [-t] [--since T] CONTAINER\n"
                "  container stop [-t N] | kill [-s SIG] | wait | rm|delete [-f] [-v] "
                "CONTAINER...\n"
                "  container list|ls|ps [-a] [-q] [-f KEY=VALUE] [--format json]\n"
                "  container inspect CONTAINER...\n"
                "  container rename CONTAINER NAME | pause | unpause | restart [-t N] CONTAINER\n"
                "  container port CONTAINER [PRIVATE_PORT[/PROTO]]\n"
                "  container cp [-a] [-L] CONTAINER:PATH DEST|-   copy out (also: cp)\n"
                "  container cp [-a] [-L] SRC|- CONTAINER:PATH    copy in\n"
                "  container export [-o FILE] CONTAINER  its filesystem as a tar (also: export)\n"
                "  container commit [-a A] [-m MSG] [-c CHANGE]... [-p=false] CONTAINER "
                "[REPO[:TAG]]\n"
                "                            a new image from its changes (also: commit)\n"
                "  container update [--restart P] [-m M] [--cpus N] [--pids-limit N] CONTAINER...\n"
                "  container stats [-a] [--no-stream] [--format table|json] [CONTAINER...]\n"
                "  container top CONTAINER [ps OPTIONS]     its processes (also: top)\n"
                "  container diff CONTAINER                 its filesystem changes (also: diff)\n"
                "  container prune [-f] [--filter K=V]      remove the stopped containers\n"
                "\n"
                "Network commands:\n"
                "  network create [OPTIONS] NETWORK         create a network, print its id\n"
                "  network ls|list [-q] [-f K=V] [--no-trunc]\n"
                "  network inspect NETWORK...\n"
                "  network rm|remove [-f] NETWORK...\n"
                "  network prune [-f] [--filter K=V]\n"
                "  network connect [--alias A] [--ip IP] [--ip6 IP] NETWORK CONTAINER\n"
                "  network disconnect [-f] NETWORK CONTAINER\n"
                "\n"
                "Volume commands:\n"
                "  volume create [--label K=V] [VOLUME]     create a volume, print its name\n"
                "  volume ls|list [-q] [-f K=V]\n"
                "  volume inspect VOLUME...\n"
                "  volume rm|remove [-f] VOLUME...\n"
                "  volume prune [-a] [-f] [--filter K=V]\n"
                "\n"
                "System commands:\n"
                "  system df [-v]            the disk space images, containers and volumes take\n"
                "  system prune [-a] [--volumes] [-f] [--filter K=V]\n"
                "                            remove stopped containers, unused networks and\n"
                "                            images (and anonymous volumes)\n"
                "\n"
                "Registry commands:\n"
                "  login [SERVER]            log in to a registry\n"
                "  logout [SERVER]           remove stored credentials\n"
                "\n"
                "Other:\n"
                "  events [--since T] [--until T] [-f K=V] [--format json]\n"
                "                            print the daemon's events as they come\n"
                "  version                   show client and daemon versions\n"
                "\n"
                "Run 'ross-cli COMMAND --help' for a command's options.\n",
                ROSS_DEFAULT_HOST);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"host", required_argument, NULL, 'H'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'v'},
                {},
        };
        const char *host = NULL;
        RossClient client = {};
        RossError err = {};
        Verb fn = NULL;
        int ch;

        /* Global options stop at the first command word. */
        while ((ch = getopt_long(argc, argv, "+H:hv", opts, NULL)) != -1) {
                switch (ch) {
                case 'H':
                        host = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case 'v':
                        printf("ross-cli %s\n", ROSS_VERSION);
                        return 0;
                default:
                        usage(stderr);
                        return 125;
                }
        }
        argc -= optind;
        argv += optind;
        if (argc < 1) {
                usage(stderr);
                return 125;
        }

        if (STREQ(argv[0], "container")) {
                if (argc < 2 || STREQ(argv[1], "--help") || STREQ(argv[1], "-h")) {
                        usage(argc < 2 ? stderr : stdout);
                        return argc < 2 ? 125 : 0;
                }
                for (size_t i = 0; i < ELEMENTSOF(container_verbs); i++)
                        if (STREQ(argv[1], container_verbs[i].name))
                                fn = container_verbs[i].fn;
                if (!fn) {
                        ross_cli_error("unknown command 'container %s'", argv[1]);
                        return 125;
                }
                argc--;
                argv++;
        } else if (STREQ(argv[0], "image")) {
                if (argc < 2 || STREQ(argv[1], "--help") || STREQ(argv[1], "-h")) {
                        usage(argc < 2 ? stderr : stdout);
                        return argc < 2 ? 125 : 0;
                }
                for (size_t i = 0; i < ELEMENTSOF(image_verbs); i++)
                        if (STREQ(argv[1], image_verbs[i].name))
                                fn = image_verbs[i].fn;
                if (!fn) {
                        ross_cli_error("unknown command 'image %s'", argv[1]);
                        return 125;
                }
                argc--;
                argv++;
        } else {
                for (size_t i = 0; i < ELEMENTSOF(short_verbs); i++)
                        if (STREQ(argv[0], short_verbs[i].name))
                                fn = short_verbs[i].fn;
                if (!fn) {
                        ross_cli_error("unknown command '%s' (see ross-cli --help)", argv[0]);
                        return 125;
                }
        }

        if (ross_client_init(&client, host, &err) < 0) {
                ross_cli_error("%s", err.msg);
                return 125;
        }
        int rc = fn(&client, argc, argv);
        ross_client_done(&client);
        return rc;
}
