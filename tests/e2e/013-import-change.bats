#!/usr/bin/env bats
# box import --change: each change is a one-line Dockerfile, read by the
# Dockerfile parser and applied by the builder's handlers.  The expected
# configs are what `docker import --change` writes for the same changes
# (moby's BuildFromConfig), and what `box build` makes of the same lines.
load helpers

setup() { box_setup_store; }
teardown() { box_teardown_store; }

# imports busybox as localhost/c:1 with the changes given as arguments
import_with() {
        local args=()
        for c in "$@"; do args+=(--change "$c"); done
        box import "${args[@]}" "$BUSYBOX_TAR" localhost/c:1
}

config() {
        box image inspect -f "{{json .Config.$1}}" localhost/c:1
}

# config_is FIELD JSON [FIELD JSON]...: each field of localhost/c:1's config
config_is() {
        while [ $# -gt 0 ]; do
                local got
                got=$(config "$1")
                [ "$got" = "$2" ] || { echo "$1: got $got, want $2"; return 1; }
                shift 2
        done
}

@test "change: exec form, shell form, and JSON that is not an array of strings" {
        run import_with 'CMD ["/bin/echo", "a  b"]' 'ENTRYPOINT /bin/env -i'
        [ "$status" -eq 0 ]
        config_is Cmd '["/bin/echo","a  b"]' Entrypoint '["/bin/sh","-c","/bin/env -i"]'
        # malformed JSON is the shell form, as written: no variable expanded
        run import_with 'CMD ["echo", $HOME'
        [ "$status" -eq 0 ]
        config_is Cmd '["/bin/sh","-c","[\"echo\", $HOME"]'
        # well-formed JSON of numbers is an error, as in a Dockerfile
        run import_with 'CMD [1, 2]'
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: --change 'CMD [1, 2]': when using JSON array syntax, arrays must be comprised of strings only" ]
}

@test "change: ENV with spaces, quotes and escapes; expanded against the config's env" {
        run import_with 'ENV A=1 B="two  words" C='"'"'$A stays'"'"' D=x\ y' 'ENV E=$A-${B} A=2' \
                'ENV F legacy form  kept'
        [ "$status" -eq 0 ]
        config_is Env '["A=2","B=two  words","C=$A stays","D=x y","E=1-two  words","F=legacy form  kept"]'
}

@test "change: LABEL with several pairs and quoted keys; EXPOSE protocols and ranges" {
        run import_with 'LABEL a=1 "b c"="d e" f=' 'LABEL a=2' 'EXPOSE 80/udp 443 7000-7001/TCP'
        [ "$status" -eq 0 ]
        config_is Labels '{"a":"2","b c":"d e","f":""}' \
                ExposedPorts '{"443/tcp":{},"7000/tcp":{},"7001/tcp":{},"80/udp":{}}'
        run import_with 'EXPOSE 80/icmp'
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: --change 'EXPOSE 80/icmp': invalid port '80/icmp': invalid proto 'icmp'" ]
}

@test "change: WORKDIR, USER, VOLUME, STOPSIGNAL, HEALTHCHECK, ONBUILD" {
        run import_with 'ENV APP=/srv' 'WORKDIR $APP' 'WORKDIR www' 'USER 1000:1000' \
                'VOLUME ["/data", "/logs"]' 'STOPSIGNAL SIGQUIT' \
                'HEALTHCHECK --interval=30s CMD wget -q localhost' 'ONBUILD RUN echo "$APP"'
        [ "$status" -eq 0 ]
        config_is WorkingDir '"/srv/www"' User '"1000:1000"' Volumes '{"/data":{},"/logs":{}}' \
                StopSignal '"SIGQUIT"' Healthcheck.Test '["CMD-SHELL","wget -q localhost"]' \
                Healthcheck.Interval 30000000000 OnBuild '["RUN echo \"$APP\""]'
}

@test "change: what is not a change is refused on one line naming it and the flag" {
        for c in 'RUN rm -rf /' 'COPY . /' 'SHELL ["/bin/bash", "-c"]' 'ARG X' 'NOSUCH x'; do
                run import_with 'LABEL ok=1' "$c"
                [ "$status" -eq 125 ]
                [ "${#lines[@]}" -eq 1 ]
                [[ "$output" == "box: error: --change '$c': unsupported instruction '${c%% *}': a change is one of CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR" ]]
        done
        # one change is one line: a newline cannot smuggle a second instruction in
        run import_with $'LABEL a=1\nRUN touch /pwned'
        [ "$status" -eq 125 ]
        [ "${#lines[@]}" -eq 1 ]
        [ "$output" = "box: error: --change 'LABEL a=1\\nRUN touch /pwned': a change is one instruction on one line: it holds a newline" ]
        run import_with $'CMD ["a",\n"b"]'
        [ "$status" -eq 125 ]
        run import_with 'STOPSIGNAL SIGNOPE'
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: --change 'STOPSIGNAL SIGNOPE': invalid signal 'SIGNOPE'" ]
        run import_with 'CMD --chown=0 x'
        [ "$status" -eq 125 ]
        [ "$output" = "box: error: --change 'CMD --chown=0 x': unknown flag '--chown' for CMD" ]
        # nothing was stored by the refused imports
        [ -z "$(box images -q)" ]
}

@test "change: an imported CMD in the shell form runs with the image's ENV" {
        import_with 'ENV GREETING="hello  world"' 'CMD echo "$GREETING from $0"' >/dev/null
        run box run --rm localhost/c:1
        [ "$status" -eq 0 ]
        [ "$output" = "hello  world from /bin/sh" ]
}

@test "change: the same lines mean the same in a Dockerfile" {
        import_busybox
        changes=('ENV A=1 B="x y"' 'ENV C=$A$B' 'ENV A=2 D=$A' 'LABEL "k l"=v m=$A' 'EXPOSE 80/udp 8080:81'
                'WORKDIR /srv' 'WORKDIR app' 'USER $A' 'VOLUME /data' 'STOPSIGNAL 9'
                'CMD ["run", "$A"]' 'ENTRYPOINT exec "$0"' 'HEALTHCHECK --interval=5s --retries=2 CMD true')
        { echo 'FROM busybox'; printf '%s\n' "${changes[@]}"; } >"$BOX_TEST_TMP/Dockerfile"
        box build -q -t localhost/b:1 -f "$BOX_TEST_TMP/Dockerfile" "$BOX_TEST_TMP" >/dev/null
        import_with "${changes[@]}" >/dev/null
        for f in Cmd Entrypoint Labels ExposedPorts WorkingDir User Volumes StopSignal Healthcheck; do
                [ "$(config $f)" = "$(box image inspect -f "{{json .Config.$f}}" localhost/b:1)" ]
        done
        # the build adds a default PATH; otherwise the same environment, where
        # every pair of an ENV sees the environment from before it
        config_is Env '["A=2","B=x y","C=1x y","D=1"]'
        [ "$(box image inspect -f '{{json .Config.Env}}' localhost/b:1)" = \
                '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","A=2","B=x y","C=1x y","D=1"]' ]
}
