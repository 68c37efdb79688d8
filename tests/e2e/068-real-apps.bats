#!/usr/bin/env bats
# Real applications run as their users run them, and what box got wrong
# doing so (found running PostgreSQL, nginx, gunicorn, redis, node and java
# images built from Debian's packages, side by side with podman).  Each test
# here reproduces one such finding on the busybox image, offline: the
# projects themselves need Debian's mirror and the npm registry.
load helpers

setup() { box_setup_store && import_busybox; }
teardown() {
        "$BOX" rm -f app >/dev/null 2>&1 || true
        box_teardown_store
}

# A service whose pid 1 runs as its own user (postgres, redis, node images:
# USER in the image) with --ulimit: `box exec` to run psql or a shell there
# read pid 1's limits with prlimit(2), which needs CAP_SYS_RESOURCE for
# another user's process; without it (box in a container, or a host that
# drops it) the exec'd process silently kept box's own limits, above the
# container's hard limits.  Docker's exec takes the container's.
@test "exec in a container whose pid 1 is not root gets the container's --ulimit, as pid 1 has" {
        box run -d --name app --user 1000:1000 --ulimit nofile=512:1024 --ulimit nproc=300:400 busybox sleep 1000
        # soft and hard of processes and open files, pid 1's then exec's own
        run box exec app sh -c 'grep -hE "^Max (open files|processes) " /proc/1/limits /proc/self/limits | awk "{print \$(NF-2), \$(NF-1)}"'
        [ "$output" = $'300 400\n512 1024\n300 400\n512 1024' ]
        # root, a shell for the administrator, gets them too
        run box exec -u 0 app sh -c 'echo $(ulimit -n) $(ulimit -Hn)'
        [ "$output" = "512 1024" ]
}
