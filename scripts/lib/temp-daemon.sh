# shellcheck shell=sh
# temp-daemon.sh: run a throw-away bangerd on a temporary directory (build.sh's AOT training run,
# the benchmarks, smoke tests). POSIX sh, sourced. bangerd needs no root for this.
#
#   temp_daemon_start BANGERD_LAUNCHER   starts it; sets TEMP_DAEMON_DIR, TEMP_DAEMON_SOCKET,
#                                        TEMP_DAEMON_PID, TEMP_DAEMON_LOG; returns 1 (log shown)
#                                        when it does not come up within TEMP_DAEMON_WAIT seconds.
#   temp_daemon_restart BANGERD_LAUNCHER stops it (SIGTERM) and starts it again on the same
#                                        directory and config (running VMs stay up: it adopts them).
#   temp_daemon_stop                     stops it (SIGTERM, then SIGKILL after 10 s) and removes
#                                        the directory. Idempotent: call it from an EXIT trap.

TEMP_DAEMON_WAIT=${TEMP_DAEMON_WAIT:-60}
TEMP_DAEMON_DIR=
TEMP_DAEMON_SOCKET=
TEMP_DAEMON_PID=
TEMP_DAEMON_LOG=

temp_daemon_start() {
    if [ -n "$TEMP_DAEMON_PID" ]; then
        echo "temp-daemon: already running (pid $TEMP_DAEMON_PID)" >&2
        return 1
    fi
    if [ ! -x "$1" ]; then
        echo "temp-daemon: no bangerd launcher at $1 (run scripts/build.sh)" >&2
        return 1
    fi
    # Short path: a Unix socket's path must stay under 108 bytes.
    TEMP_DAEMON_DIR=$(mktemp -d "${TMPDIR:-/tmp}/bangerd.XXXXXX") || return 1
    TEMP_DAEMON_SOCKET=$TEMP_DAEMON_DIR/run/bangerd.sock
    TEMP_DAEMON_LOG=$TEMP_DAEMON_DIR/bangerd.log
    cat >"$TEMP_DAEMON_DIR/bangerd.toml" <<TOML
state_dir = "$TEMP_DAEMON_DIR/state"
cache_dir = "$TEMP_DAEMON_DIR/cache"
runtime_dir = "$TEMP_DAEMON_DIR/run"
log_level = "${TEMP_DAEMON_LOG_LEVEL:-warn}"
warm_start = ${TEMP_DAEMON_WARM_START:-false}
TOML
    _td_launch "$1"
}

# _td_launch BANGERD_LAUNCHER: starts bangerd on TEMP_DAEMON_DIR's config and waits for its socket.
_td_launch() {
    "$1" --config "$TEMP_DAEMON_DIR/bangerd.toml" </dev/null >>"$TEMP_DAEMON_LOG" 2>&1 &
    TEMP_DAEMON_PID=$!
    _td_tries=$((TEMP_DAEMON_WAIT * 20))
    while [ ! -S "$TEMP_DAEMON_SOCKET" ]; do
        if ! kill -0 "$TEMP_DAEMON_PID" 2>/dev/null; then
            echo "temp-daemon: bangerd exited during start-up; its output:" >&2
            sed 's/^/    /' "$TEMP_DAEMON_LOG" >&2
            wait "$TEMP_DAEMON_PID" 2>/dev/null || :
            TEMP_DAEMON_PID=
            temp_daemon_stop
            return 1
        fi
        _td_tries=$((_td_tries - 1))
        if [ "$_td_tries" -le 0 ]; then
            echo "temp-daemon: bangerd (pid $TEMP_DAEMON_PID) made no socket at $TEMP_DAEMON_SOCKET within ${TEMP_DAEMON_WAIT} s; its output:" >&2
            sed 's/^/    /' "$TEMP_DAEMON_LOG" >&2
            temp_daemon_stop
            return 1
        fi
        sleep 0.05
    done
    return 0
}

temp_daemon_restart() {
    if [ -z "$TEMP_DAEMON_PID" ]; then
        echo "temp-daemon: not running" >&2
        return 1
    fi
    _td_end_process
    rm -f "$TEMP_DAEMON_SOCKET"
    _td_launch "$1"
}

# _td_end_process: SIGTERM, SIGKILL after 10 s; the directory stays.
_td_end_process() {
    [ -n "$TEMP_DAEMON_PID" ] || return 0
    if kill "$TEMP_DAEMON_PID" 2>/dev/null; then
        _td_tries=200
        while kill -0 "$TEMP_DAEMON_PID" 2>/dev/null && [ "$_td_tries" -gt 0 ]; do
            _td_tries=$((_td_tries - 1))
            sleep 0.05
        done
        if kill -0 "$TEMP_DAEMON_PID" 2>/dev/null; then
            echo "temp-daemon: bangerd (pid $TEMP_DAEMON_PID) ignored SIGTERM for 10 s; killing it" >&2
            kill -KILL "$TEMP_DAEMON_PID" 2>/dev/null || :
        fi
    fi
    wait "$TEMP_DAEMON_PID" 2>/dev/null || :
    TEMP_DAEMON_PID=
}

temp_daemon_stop() {
    _td_end_process
    case $TEMP_DAEMON_DIR in
        "${TMPDIR:-/tmp}"/bangerd.??????) rm -rf -- "$TEMP_DAEMON_DIR" ;;
    esac
    TEMP_DAEMON_DIR='' TEMP_DAEMON_SOCKET='' TEMP_DAEMON_LOG=''
    return 0
}
