package dev.banger.daemon.workspace;

import java.util.regex.Pattern;

/**
 * The POSIX sh the guest runs for a workspace: only sh, tar (busybox's will do), mktemp, cp, mv
 * and git when the image has it. Each is one SSH exec, so a ship costs one round trip and one
 * tar extraction in the slow (TCG) guest CPU, never one per file.
 *
 * <p>Exit statuses the service maps: {@link #NOT_PREPARED}, {@link #NO_GIT}, {@link #FAILED}
 * (with a message on stderr).
 */
final class GuestScripts {

    static final int FAILED = 3;
    static final int NOT_PREPARED = 4;
    static final int NO_GIT = 5;

    /** Guest paths are put into scripts verbatim: only these characters, absolute, no dot-dot. */
    private static final Pattern SAFE_PATH = Pattern.compile("(/[A-Za-z0-9_+-][A-Za-z0-9_.+-]*)+");

    private static final String COMMON = """
            fail() { echo "$1" >&2; exit %d; }
            W=%s
            """;

    /**
     * Extracts the tar on stdin into a temporary directory next to the work tree, checks that its
     * last entry ({@code .git/banger/shipped}) arrived, then either swaps it in whole ({@code full}:
     * after checking out of the shipped pack the files {@code .git/banger/checkout} lists, and
     * removing those the host deleted) or applies it over the work tree ({@code update}: the
     * deletion list first, then the changed files). The manifest is renamed into place last, so an
     * interrupted update is re-sent by the next one. With git, the shipped state is recorded as a
     * tree object and an index (written through a temporary index; the guest's own index is the
     * host's copy) for export to diff against. Prints {@code git TREE} or {@code nogit}, then where the
     * seconds went (the daemon logs it: under TCG the guest is the slow part).
     */
    private static final String SHIP = """
            P=${W%%/*}; [ -n "$P" ] || P=/
            mkdir -p "$P" || fail "cannot create $P in the guest"
            S=$(mktemp -d "$P/.banger-ship.XXXXXX") || fail "cannot make a temporary directory in $P in the guest (is its disk full?)"
            trap 'rm -rf "$S" "$S.old"' EXIT
            T0=$(date +%%s)
            # tar's complaints are kept in memory: a file on the disk it filled would keep none of them.
            E=$(tar -x -f - -C "$S" 2>&1 >/dev/null) || fail "extracting the shipped files in the guest failed: $(printf '%%s\\n' "$E" | tail -n 3)"
            # The stream's last entry: without it the stream was cut short, whatever tar said.
            [ -f "$S/.git/banger/shipped" ] || fail "the shipped stream was cut short; $W was left as it was"
            rm -f "$S/.git/banger/shipped"
            T1=$(date +%%s)
            if [ "$MODE" = full ]; then
                if [ -f "$S/.git/banger/checkout" ]; then
                    command -v git >/dev/null 2>&1 || fail "this ship checks files out of its pack, and the guest has no git"
                    (cd "$S" && git checkout-index -q -u -z --stdin < .git/banger/checkout) \
                        || fail "checking the shipped files out in the guest failed (is its disk full? banger vm exec VM -- df -h $P)"
                    rm -f "$S/.git/banger/checkout"
                fi
                if [ -f "$S/.git/banger/deleted" ]; then
                    (cd "$S" && while IFS= read -r f; do rm -rf "./$f"; done < .git/banger/deleted)
                    rm -f "$S/.git/banger/deleted"
                fi
                if [ -e "$W" ]; then mv "$W" "$S.old" || fail "cannot move the old $W aside"; fi
                mv "$S" "$W" || { [ -e "$S.old" ] && mv "$S.old" "$W"; fail "cannot move the shipped tree to $W"; }
            else
                [ -f "$W/.git/banger/manifest" ] || fail "$W in the guest was never prepared: ship it in full first"
                if [ -f "$S/.git/banger/deleted" ]; then
                    while IFS= read -r f; do rm -rf "$W/$f"; done < "$S/.git/banger/deleted"
                    rm -f "$S/.git/banger/deleted"
                fi
                cp -a "$S/." "$W/" || fail "copying the changed files into $W failed (is the guest disk full?)"
            fi
            T2=$(date +%%s)
            cd "$W" || fail "cannot enter $W"
            mv .git/banger/manifest.new .git/banger/manifest || fail "cannot record the manifest in $W/.git/banger"
            if command -v git >/dev/null 2>&1; then
                cp .git/index .git/banger/base-index || fail "cannot copy the index"
                T=$(GIT_INDEX_FILE=.git/banger/base-index git add -A 2>&1 >/dev/null && GIT_INDEX_FILE=.git/banger/base-index git write-tree) \\
                    || fail "git in the guest cannot record the shipped tree: $T"
                echo "$T" > .git/banger/base-tree
                echo "git $T"
            else
                rm -f .git/banger/base-tree .git/banger/base-index
                echo nogit
            fi
            echo "seconds: receive+extract $((T1 - T0)), checkout+place $((T2 - T1)), record $(($(date +%%s) - T2))"
            """;

    /**
     * Prints the manifest of the last ship, a line {@code --}, then the paths the guest changed
     * since (added, modified, deleted; through a temporary index, nothing staged) and, when HEAD
     * moved in the guest, a line {@code HEAD}.
     */
    private static final String MANIFEST = """
            cd "$W" 2>/dev/null && [ -f .git/banger/manifest ] || exit %d
            cat .git/banger/manifest
            echo --
            if command -v git >/dev/null 2>&1 && [ -f .git/banger/base-tree ]; then
                I=$(mktemp) || fail "cannot make a temporary file in the guest"
                trap 'rm -f "$I"' EXIT
                cp .git/banger/base-index "$I" && GIT_INDEX_FILE=$I git add -A >/dev/null 2>&1 \\
                    && GIT_INDEX_FILE=$I git diff --cached --no-renames --name-only "$(cat .git/banger/base-tree)" \\
                    || fail "git in the guest cannot list its changes"
                [ "$(git rev-parse -q --verify HEAD)" = "$(sed -n 's/^head //p' .git/banger/manifest)" ] || echo HEAD
            fi
            """;

    /** The guest's changes since the last ship as a binary patch on stdout, the guest's index untouched. */
    private static final String EXPORT = """
            cd "$W" 2>/dev/null && [ -f .git/banger/manifest ] || exit %d
            command -v git >/dev/null 2>&1 && [ -f .git/banger/base-tree ] || exit %d
            I=$(mktemp) || fail "cannot make a temporary file in the guest"
            trap 'rm -f "$I"' EXIT
            cp .git/banger/base-index "$I" || fail "cannot copy the shipped index"
            GIT_INDEX_FILE=$I git add -A >/dev/null || fail "git add in the guest failed"
            GIT_INDEX_FILE=$I git -c core.quotePath=false diff --cached --binary --full-index -M --no-color --no-ext-diff \\
                --src-prefix=a/ --dst-prefix=b/ "$(cat .git/banger/base-tree)" || fail "git diff in the guest failed"
            """;

    private GuestScripts() {
    }

    static String ship(String guestPath, boolean full) {
        return common(guestPath) + "MODE=" + (full ? "full" : "update") + "\n" + SHIP.formatted();
    }

    static String manifest(String guestPath) {
        return common(guestPath) + MANIFEST.formatted(NOT_PREPARED);
    }

    static String export(String guestPath) {
        return common(guestPath) + EXPORT.formatted(NOT_PREPARED, NO_GIT);
    }

    /** Refuses a guest path that is not absolute, has odd characters, or is {@code /} or {@code /root} itself. */
    static String checkedPath(String guestPath) {
        if (guestPath == null || !SAFE_PATH.matcher(guestPath).matches() || guestPath.contains("/../") || guestPath.endsWith("/..")
                || guestPath.contains("/./") || guestPath.endsWith("/.")) {
            throw new IllegalArgumentException("guest path '" + guestPath + "' is not allowed: an absolute path of letters, digits"
                    + " and _ . + - (no . or .. components)");
        }
        if (guestPath.chars().filter(c -> c == '/').count() < 2) {
            throw new IllegalArgumentException("guest path '" + guestPath + "' is not allowed: the work tree replaces it whole,"
                    + " so it must be a directory of its own such as /root/repo");
        }
        return guestPath;
    }

    private static String common(String guestPath) {
        return COMMON.formatted(FAILED, checkedPath(guestPath));
    }
}
