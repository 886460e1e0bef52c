/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: what the host hands a VM's guest agent. The config text (src/vm/proto.c
 * and ross-init's parser, src/init/guest-config.c, as container and as exec config): every
 * item that parses encodes back to something that parses to it again. The same bytes as
 * control-channel frames: taken or refused, never past the buffer. */
#include <stdlib.h>

#include "init/guest.h"
#include "vm/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *)data;
        size_t pos = 0;
        for (;;) {
                char *key = NULL, *value = NULL;
                size_t before = pos;
                int r = ross_vm_cfg_next(text, size, &pos, &key, &value);
                if (r <= 0) {
                        if (pos != before && r < 0)
                                abort(); /* a refusal leaves the position alone */
                        break;
                }
                if (pos <= before || pos > size)
                        abort();
                RossBuf b = {};
                ross_vm_cfg_add(&b, key, value);
                size_t p2 = 0;
                char *k2 = NULL, *v2 = NULL;
                if (ross_vm_cfg_next(b.data, b.len, &p2, &k2, &v2) != 1 || !STREQ(k2, key) ||
                    !STREQ(v2, value) || p2 != b.len)
                        abort();
                free(k2);
                free(v2);
                ross_buf_free(&b);
                free(key);
                free(value);
        }

        for (int exec = 0; exec < 2; exec++) {
                RossGuestConfig c = {};
                RossError err = {};
                if (ross_guest_config_parse(text, size, exec, &c, &err) == 0) {
                        if (c.n_argv < 1 || !c.argv[0][0] || c.argv[c.n_argv] || !c.envp ||
                            c.envp[c.n_env] || (!exec && !c.cwd))
                                abort();
                        ross_guest_config_free(&c);
                } else if (!err.msg[0] || c.argv) {
                        abort();
                }
        }

        RossBuf frames = {};
        ross_buf_append(&frames, data, size);
        for (;;) {
                int type;
                uint32_t session;
                const char *p;
                size_t n;
                bool bad;
                if (!ross_vm_frame_next(&frames, &type, &session, &p, &n, &bad))
                        break;
                if (p < frames.data || p + n > frames.data + frames.len)
                        abort();
                ross_vm_consume(&frames, n);
        }
        ross_buf_free(&frames);
        return 0;
}
