/* SPDX-License-Identifier: Apache-2.0 */
/* ross-init's guest mode: the container's and an exec's config as the host writes them
 * (src/init/guest-config.c, on src/vm/proto.c's encoding). */
#include <stdlib.h>
#include <sys/mount.h>

#include "init/guest.h"
#include "tap.h"
#include "vm/proto.h"

static int parse(const char *text, bool exec, RossGuestConfig *c, RossError *err)
{
        *c = (RossGuestConfig){};
        ross_err_clear(err);
        return ross_guest_config_parse(text, strlen(text), exec, c, err);
}

static void test_container(void)
{
        RossBuf b = {};
        ross_vm_cfg_add(&b, "arg", "sh");
        ross_vm_cfg_add(&b, "arg", "-c");
        ross_vm_cfg_add(&b, "arg", "echo 'a\nb' \\ done");
        ross_vm_cfg_add(&b, "env", "PATH=/bin");
        ross_vm_cfg_add(&b, "env", "TAB=a\tb");
        ross_vm_cfg_add(&b, "cwd", "/work dir");
        ross_vm_cfg_add(&b, "uid", "1000");
        ross_vm_cfg_add(&b, "gid", "100");
        ross_vm_cfg_add(&b, "groups", "10,20,4294967294");
        ross_vm_cfg_add(&b, "hostname", "box");
        ross_vm_cfg_add(&b, "tty", "1");
        ross_vm_cfg_add(&b, "stdin", "1");
        ross_vm_cfg_add(&b, "readonly_root", "1");
        ross_vm_cfg_add(&b, "volume", "ross.vol0 ro /data/with space/");
        ross_vm_cfg_add(&b, "volume", "ross.vol1 rw //x/./y");
        ross_vm_cfg_add(&b, "tmpfs", "/run");
        ross_vm_cfg_add(&b, "tmpfs", "/scratch:size=64m,mode=1777,exec,ro,rprivate");
        ross_vm_cfg_add(&b, "rlimit", "nofile 1024 4096");
        ross_vm_cfg_add(&b, "rlimit", "core -1 unlimited");
        ross_vm_cfg_add(&b, "rlimit", "nofile 10 20");
        ross_vm_cfg_add(&b, "a_newer_key", "whatever");

        RossGuestConfig c;
        RossError err = {};
        ok(ross_guest_config_parse(b.data, b.len, false, &c, &err) == 0, "a full config parses");
        ok(c.n_argv == 3 && STREQ(c.argv[0], "sh") && STREQ(c.argv[2], "echo 'a\nb' \\ done") &&
                   c.argv[3] == NULL,
           "the command, escapes undone, NULL-terminated");
        ok(c.n_env == 2 && STREQ(c.envp[1], "TAB=a\tb") && c.envp[2] == NULL, "the environment");
        is_str(c.cwd, "/work dir", "cwd");
        ok(c.uid == 1000 && c.gid == 100, "uid, gid");
        ok(c.n_groups == 3 && c.groups[0] == 10 && c.groups[2] == 4294967294u, "groups");
        ok(c.tty && c.stdin_open && c.readonly_root, "the flags");
        is_str(c.hostname, "box", "hostname");
        ok(c.n_volumes == 2 && c.volumes[0].ro && !c.volumes[1].ro &&
                   STREQ(c.volumes[0].tag, "ross.vol0"),
           "the volumes, their tags and modes");
        is_str(c.volumes[0].path, "/data/with space", "a volume's path keeps its spaces");
        is_str(c.volumes[1].path, "/x/y", "... and is put in normal form");
        ok(c.n_tmpfs == 2 && STREQ(c.tmpfs[0].path, "/run") &&
                   c.tmpfs[0].flags == (MS_NOSUID | MS_NODEV | MS_NOEXEC) &&
                   STREQ(c.tmpfs[0].data, ""),
           "a tmpfs without options: Docker's nosuid,nodev,noexec");
        ok(c.tmpfs[1].flags == (MS_NOSUID | MS_NODEV | MS_RDONLY), "exec lifts noexec, ro adds");
        is_str(c.tmpfs[1].data, "size=64m,mode=1777", "the data options pass through");
        ok(c.n_rlimits == 2 && c.rlimits[0].resource == RLIMIT_NOFILE &&
                   c.rlimits[0].lim.rlim_cur == 10 && c.rlimits[0].lim.rlim_max == 20,
           "a later rlimit replaces an earlier one");
        ok(c.rlimits[1].resource == RLIMIT_CORE && c.rlimits[1].lim.rlim_cur == RLIM_INFINITY &&
                   c.rlimits[1].lim.rlim_max == RLIM_INFINITY,
           "-1 and unlimited are no limit");
        is_str(ross_guest_rlimit_name(RLIMIT_MSGQUEUE), "msgqueue", "rlimit names");
        ross_guest_config_free(&c);
        ross_buf_free(&b);

        ok(parse("arg=true\n", false, &c, &err) == 0 && STREQ(c.cwd, "/") && c.envp && !c.envp[0] &&
                   c.uid == 0 && !c.tty && !c.stdin_open && !c.hostname,
           "defaults: cwd /, no env, root, no tty, stdin closed");
        ross_guest_config_free(&c);
}

static void test_exec(void)
{
        RossGuestConfig c;
        RossError err;
        ok(parse("arg=ls\nvolume=ross.vol0 rw /x\nhostname=y\ntmpfs=/t\nrlimit=nofile 1 2\n", true,
                 &c, &err) == 0 &&
                   c.n_volumes == 0 && !c.hostname && c.n_tmpfs == 0 && c.n_rlimits == 0,
           "an exec's config ignores the container's keys");
        ok(!c.cwd, "an exec without cwd leaves it to the container's");
        ross_guest_config_free(&c);
}

static void test_bad(void)
{
        static const struct {
                const char *text;
                const char *msg;
        } cases[] = {
                {"", "bad config: no command specified"},
                {"env=A=b\n", "bad config: no command specified"},
                {"arg=\n", "bad config: no command specified"},
                {"arg=x\nnot a pair\n", "bad config: line 2: not key=value"},
                {"\n\narg=x\n\narg=\\q\n", "bad config: line 5: not key=value"},
                {"arg=x\ncwd=rel\n", "bad config: line 2: cwd \"rel\": not an absolute path"},
                {"arg=x\nuid=-1\n", "bad config: line 2: uid \"-1\": not a number"},
                {"arg=x\nuid=4294967295\n", "bad config: line 2: uid \"4294967295\": not a number"},
                {"arg=x\ngid=1x\n", "bad config: line 2: gid \"1x\": not a number"},
                {"arg=x\ngroups=1,,2\n", "bad config: line 2: groups \"1,,2\": not numbers"},
                {"arg=x\ntty=yes\n", "bad config: line 2: tty \"yes\": not 0 or 1"},
                {"arg=x\nstdin=2\n", "bad config: line 2: stdin \"2\": not 0 or 1"},
                {"arg=x\nenv=NOEQUALS\n", "bad config: line 2: env \"NOEQUALS\": not KEY=VALUE"},
                {"arg=x\nenv==x\n", "bad config: line 2: env \"=x\": not KEY=VALUE"},
                {"arg=x\nvolume=ross.vol0 rw\n",
                 "bad config: line 2: volume \"ross.vol0 rw\": not \"TAG ro|rw PATH\""},
                {"arg=x\nvolume= rw /x\n",
                 "bad config: line 2: volume \" rw /x\": not \"TAG ro|rw PATH\""},
                {"arg=x\nvolume=t rx /x\n",
                 "bad config: line 2: volume \"t rx /x\": mode must be ro or rw"},
                {"arg=x\nvolume=t rw /a/../b\n",
                 "bad config: line 2: volume \"t rw /a/../b\": the path must be absolute, not /, "
                 "without \"..\""},
                {"arg=x\nvolume=t rw /..\n",
                 "bad config: line 2: volume \"t rw /..\": the path must be absolute, not /, "
                 "without \"..\""},
                {"arg=x\nvolume=t rw rel\n",
                 "bad config: line 2: volume \"t rw rel\": the path must be absolute, not /, "
                 "without \"..\""},
                {"arg=x\nvolume=t rw //./\n",
                 "bad config: line 2: volume \"t rw //./\": the path must be absolute, not /, "
                 "without \"..\""},
                {"arg=x\ntmpfs=/x/..:size=1m\n",
                 "bad config: line 2: tmpfs \"/x/..:size=1m\": the path must be absolute, not /, "
                 "without \"..\""},
                {"arg=x\ntmpfs=/x:bogus\n",
                 "bad config: line 2: tmpfs option \"bogus\" is not known"},
                {"arg=x\nrlimit=nofile 1\n",
                 "bad config: line 2: rlimit \"nofile 1\": not \"NAME SOFT HARD\""},
                {"arg=x\nrlimit=nofile 1 2 3\n",
                 "bad config: line 2: rlimit \"nofile 1 2 3\": not \"NAME SOFT HARD\""},
                {"arg=x\nrlimit=files 1 2\n",
                 "bad config: line 2: rlimit \"files 1 2\": unknown limit \"files\""},
                {"arg=x\nrlimit=nofile a 2\n",
                 "bad config: line 2: rlimit \"nofile a 2\": bad number"},
                {"arg=x\nrlimit=nofile 3 2\n",
                 "bad config: line 2: rlimit \"nofile 3 2\": soft limit above hard limit"},
                {"arg=x\nhostname=0123456789012345678901234567890123456789012345678901234567890"
                 "1234\n",
                 "bad config: line 2: hostname "
                 "\"01234567890123456789012345678901234567890123456789012345678901234\": longer "
                 "than 64 characters"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                RossGuestConfig c;
                RossError err;
                int r = parse(cases[i].text, false, &c, &err);
                ok(r < 0 && c.argv == NULL, "refused: %s", cases[i].msg);
                is_str(err.msg, cases[i].msg, "... with that message");
        }
        RossGuestConfig c;
        RossError err;
        static const char nul[] = "arg=x\0y\n";
        ok(ross_guest_config_parse(nul, sizeof(nul) - 1, false, &c, &err) == -EINVAL,
           "a NUL byte anywhere is refused");
}

int main(void)
{
        test_container();
        test_exec();
        test_bad();
        return tap_done();
}
