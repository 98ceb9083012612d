# private-netns.sh: for scripts that run inside a network namespace of their own (unshare --net).
# Sourced; defines netns_holders.

# netns_holders NS: the pids of processes whose network namespace is NS (as readlink prints it,
# net:[N]), space-separated; empty once the namespace is gone. Compared as text: the [ ] in
# net:[N] would be a pattern to `find -lname`, which then never matches.
netns_holders() {
    local p left=
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/ns/net" 2>/dev/null)" != "$1" ] || left="$left ${p#/proc/}"
    done
    printf '%s' "${left# }"
}
