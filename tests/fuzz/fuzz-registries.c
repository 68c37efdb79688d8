/* libFuzzer target for registries.yaml (image/registries-config.c, through
 * libyaml): the input is written to a file under /dev/shm that
 * BOX_REGISTRIES_CONF names, then looked up for a few hosts, among them
 * docker.io (the unqualified-registry's path). */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "image/registry.h"

static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        snprintf(path, sizeof(path), "/dev/shm/fuzz-registries-%d.yaml", (int)getpid());
        setenv("BOX_REGISTRIES_CONF", path, 1);
        setenv("XDG_CONFIG_HOME", "/nonexistent", 1); /* no user file */
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 65536)
                return 0;
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, data, size) != (ssize_t)size)
                abort();
        close(fd);
        static const char *hosts[] = {"docker.io", "a.example:5000", "[::1]:5000", "x"};
        for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
                struct image_registry_conf c;
                struct box_err err = {0};
                if (image_registry_conf_get(hosts[i], &c, &err) >= 0)
                        image_registry_conf_release(&c);
        }
        unlink(path);
        return 0;
}
