# shellcheck shell=bash
# temp-registry.sh: a throw-away docker-registry on 127.0.0.1 (the benchmarks push their test
# images to it). Sourced; needs docker-registry, curl, ss.
#
#   temp_registry_start DIR   starts it with its config, data and log under DIR, on a free random
#                             port; sets TEMP_REGISTRY (127.0.0.1:PORT) and TEMP_REGISTRY_PID;
#                             returns 1 (log shown) when it does not answer.
#   temp_registry_stop        stops it. Idempotent: call it from an EXIT trap.

TEMP_REGISTRY=
TEMP_REGISTRY_PID=

temp_registry_start() {
    local dir=$1 port i
    mkdir -p "$dir"
    for _ in 1 2 3; do
        port=$((20000 + RANDOM % 40000))
        ss -ltnH "sport = :$port" | grep -q . && continue
        cat >"$dir/config.yml" <<YML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: temp-registry-$RANDOM$RANDOM
YML
        docker-registry serve "$dir/config.yml" </dev/null >"$dir/log" 2>&1 &
        TEMP_REGISTRY_PID=$!
        for ((i = 0; i < 300; i++)); do
            if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/v2/" 2>/dev/null; then
                TEMP_REGISTRY=127.0.0.1:$port
                return 0
            fi
            kill -0 "$TEMP_REGISTRY_PID" 2>/dev/null || break
            sleep 0.05
        done
        temp_registry_stop
    done
    sed 's/^/    /' "$dir/log" >&2
    return 1
}

temp_registry_stop() {
    if [ -n "$TEMP_REGISTRY_PID" ]; then
        kill "$TEMP_REGISTRY_PID" 2>/dev/null || :
        wait "$TEMP_REGISTRY_PID" 2>/dev/null || :
    fi
    TEMP_REGISTRY='' TEMP_REGISTRY_PID=''
    return 0
}
