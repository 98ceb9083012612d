#!/usr/bin/env bash
# build.sh: compile banger with Maven and lay out a runnable tree under build/:
#   build/bin/banger, build/bin/bangerd   launchers (POSIX sh; symlink them anywhere)
#   build/lib/cli/, build/lib/daemon/     each app's jars (module jar, banger-core, runtime deps)
#   build/lib/banger.aot (JDK >= 25) or build/lib/banger.jsa (JDK 21-24)   the CLI's start-up archive
#   build/completion/banger.{bash,zsh,fish} shell completion
#   build/share/man/man1/*.1              man pages: banger(1) and one per command (system install links them)
# Idempotent: every run rebuilds build/ from scratch. Needs a JDK >= 21 (scripts/lib/find-java.sh).
# Env: BANGER_ARCHIVE=aot|cds|none forces the kind of start-up archive (default: aot on JDK >= 25).
# --release KEY: also pack bin/, lib/, completion/ as build/banger-release.bundle, signed with the
# Ed25519 private key in the PEM file KEY, for `banger update --from` (docs/update.md).
set -eu -o pipefail
LC_COLLATE=C   # stable classpath order

RELEASE_KEY=
case ${1:-} in
    --release)
        [ -n "${2:-}" ] || { echo "build.sh: --release needs the path of an Ed25519 private key (PEM)" >&2; exit 2; }
        [ -r "$2" ] || { echo "build.sh: cannot read the release key $2" >&2; exit 2; }
        RELEASE_KEY=$(cd "$(dirname "$2")" && pwd -P)/$(basename "$2") ;;
    "") ;;
    *) echo "build.sh: unknown argument $1 (usage: build.sh [--release KEY])" >&2; exit 2 ;;
esac
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$ROOT"
. scripts/lib/find-java.sh
. scripts/lib/maven-env.sh
. scripts/lib/temp-daemon.sh

say() { printf 'build.sh: %s\n' "$*"; }
die() { printf 'build.sh: FAILED: %s\n' "$*" >&2; exit 1; }

find_java --jdk || die "no JDK >= 21 (see above)"
JAVA=$BANGER_JAVA_HOME/bin/java
maven_env || die "no Maven"
say "JDK $BANGER_JAVA_VERSION at $BANGER_JAVA_HOME"

commit=$(git rev-parse HEAD 2>/dev/null) || commit=unknown
DEPS=target/banger-runtime-deps
rm -rf banger-cli/$DEPS banger-daemon/$DEPS
say "mvn package (commit $commit)"
mvn -B -q -DskipTests -Dbanger.commit="$commit" package \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$DEPS" \
    || die "mvn package failed (output above)"

# ---- lay out build/ ------------------------------------------------------------------------
mkdir -p build
HOME_DIR=$(cd build && pwd -P)   # what the launchers compute at run time via readlink -f
rm -rf build/bin build/lib build/completion build/share
mkdir -p build/bin build/lib/cli build/lib/daemon build/completion build/share/man/man1
cp scripts/lib/find-java.sh build/lib/find-java.sh

# modern_picocli DIR: replaces DIR/picocli-V.jar with picocli V compiled from its published
# sources for Java 21. The published jar is Java 5 bytecode, which the JVM refuses to put in an
# AOT/CDS archive ("Old class has been linked"): ~230 classes then load and run cold on every
# `banger` command. Same source, same behaviour; cached in banger-cli/target across builds.
# BANGER_MODERN_PICOCLI=0 keeps the published jar.
modern_picocli() {
    local dir=$1 jar ver out tmp
    [ "${BANGER_MODERN_PICOCLI:-1}" != 0 ] || return 0
    jar=
    for f in "$dir"/picocli-*.jar; do [ -f "$f" ] && jar=$f; done
    [ -n "$jar" ] || return 0
    ver=${jar##*/picocli-}
    ver=${ver%.jar}
    # -inline: compiled with StringBuilder concatenation (see the javac flags below).
    out=$ROOT/banger-cli/target/picocli-modern/picocli-$ver-java21-inline.jar
    if [ ! -s "$out" ]; then
        say "compiling picocli $ver from its sources for Java 21 (once; cached in banger-cli/target)"
        tmp=$ROOT/banger-cli/target/picocli-modern/tmp
        rm -rf "$tmp"
        mkdir -p "$tmp/src" "$tmp/classes"
        mvn -B -q -N dependency:copy -Dartifact="info.picocli:picocli:$ver:jar:sources" \
            -DoutputDirectory="$tmp" || die "cannot fetch picocli $ver's sources"
        (cd "$tmp/src" && "$BANGER_JAVA_HOME/bin/jar" xf "../picocli-$ver-sources.jar") || die "cannot unpack picocli's sources"
        find "$tmp/src" -name '*.java' >"$tmp/files"
        "$BANGER_JAVA_HOME/bin/javac" --release 21 -XDstringConcat=inline -nowarn -Xlint:none -encoding UTF-8 -d "$tmp/classes" @"$tmp/files" \
            >"$tmp/javac.log" 2>&1 || { cat "$tmp/javac.log" >&2; die "cannot compile picocli $ver's sources"; }
        "$BANGER_JAVA_HOME/bin/jar" cf "$out.tmp" -C "$tmp/classes" . || die "cannot package picocli"
        mv "$out.tmp" "$out"
        rm -rf "$tmp"
    fi
    rm -f "$jar"
    cp "$out" "$dir/"
}

# install_app APP MODULE: copies the module jar and its runtime dependencies into build/lib/APP and
# sets CP_REL to the launcher's classpath ($home-relative): module jar, banger-core, then the rest.
install_app() {
    local app=$1 module=$2 jar dep cp
    jar=
    for dep in "$module"/target/"$module"-*.jar; do
        case $dep in *-tests.jar|*-sources.jar|*-javadoc.jar) continue ;; esac
        [ -f "$dep" ] || continue
        [ -z "$jar" ] || die "expected one jar in $module/target, found $jar and $dep"
        jar=$dep
    done
    [ -n "$jar" ] || die "mvn package made no jar in $module/target"
    [ -d "$module/$DEPS" ] || die "no runtime dependencies were copied for $module"
    cp "$jar" "build/lib/$app/"
    cp "$module/$DEPS"/*.jar "build/lib/$app/"
    [ "$app" != cli ] || modern_picocli "build/lib/$app"
    cp="\$home/lib/$app/$(basename "$jar")"
    dep=$(cd "build/lib/$app" && ls banger-core-*.jar) || die "banger-core jar missing from $module's dependencies"
    cp="$cp:\$home/lib/$app/$dep"
    for dep in "build/lib/$app"/*.jar; do   # sorted by the glob (LC_COLLATE=C above)
        dep=${dep##*/}
        case $dep in "$(basename "$jar")"|banger-core-*.jar) continue ;; esac
        cp="$cp:\$home/lib/$app/$dep"
    done
    CP_REL=$cp
    # For tools (benchmarks): the same classpath, absolute.
    printf '%s\n' "$cp" | sed "s|\\\$home|$HOME_DIR|g" >"build/lib/$app.classpath"
}

install_app cli banger-cli
CLI_CP_REL=$CP_REL
install_app daemon banger-daemon
DAEMON_CP_REL=$CP_REL
CLI_CP=$(cat build/lib/cli.classpath)

# The CLI's JVM flags: the launcher and the archive's training run must use the same ones. The
# properties spare every command work it does not need (ARCHITECTURE.md, CLI start-up): a scan of
# all the jars on the class path (each opens every jar and reads its index, ~5-7 ms) for picocli's
# look-up of Groovy's Closure class and for the NIO SelectorProvider's ServiceLoader look-up (the
# default on Linux, named; the first AF_UNIX channel asks for it); and the initialisation of
# java.time and java.sql for picocli's converters of their types, which no option uses
# (RootCommandModelTest checks that).
CLI_FLAGS='-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Dpicocli.disable.closures=true'
CLI_FLAGS="$CLI_FLAGS -Djava.nio.channels.spi.SelectorProvider=sun.nio.ch.EPollSelectorProvider"
# (regular expressions; ".+", not ".*": the launcher passes these words unquoted, so no glob characters)
CLI_FLAGS="$CLI_FLAGS -Dpicocli.converters.excludes=java.time..+,java.sql..+"
CLI_MAIN=dev.banger.cli.Banger
DAEMON_MAIN=dev.banger.daemon.Bangerd
# bangerd's heap and GC. Serial: a daemon on hosts with few cores whose heap is small and mostly
# idle; it needs no GC threads, has the least native overhead (no remembered sets) and gives memory
# back after a collection, while G1's pauses buy nothing at this size (measured idle RSS, JDK 25,
# after start + 20 requests: defaults 131-164 MiB, these flags 90 MiB). 512 MiB is ample: the largest
# things bangerd holds are 64 MiB of unfinished request lines (RpcServer) and 64 KiB of queued
# progress per connection; without -Xmx the JVM takes a quarter of the host's RAM. -Xms16m starts
# small and grows only when used. On JDK >= 22 the launcher also trims the C heap every 5 s
# (TrimNativeHeapInterval): freed compiler and SQLite memory otherwise stays resident.
DAEMON_FLAGS='-XX:+UseSerialGC -Xms16m -Xmx512m -XX:-UsePerfData'

# ---- start-up archive kind -----------------------------------------------------------------
archive=${BANGER_ARCHIVE:-}
if [ -z "$archive" ]; then
    if [ "$BANGER_JAVA_MAJOR" -ge 25 ]; then archive=aot; else archive=cds; fi
fi
case $archive in
    aot)
        [ "$BANGER_JAVA_MAJOR" -ge 25 ] || die "BANGER_ARCHIVE=aot needs JDK >= 25"
        ARCHIVE_FILE=banger.aot
        ARCHIVE_USE="-XX:AOTCache=\$home/lib/$ARCHIVE_FILE"
        ARCHIVE_MAKE="-XX:AOTCacheOutput=$HOME_DIR/lib/$ARCHIVE_FILE"
        # No method profiles in the cache: the training run calls each method more often than one
        # command does, and replaying its profiles made the JIT compile eagerly for every command
        # (`ping` +15 ms CPU, `vm list` +30 ms). Ignored by a JDK that has no such flag.
        ARCHIVE_MAKE_FLAGS='-XX:+IgnoreUnrecognizedVMOptions -XX:+UnlockDiagnosticVMOptions -XX:-AOTRecordTraining'
        # Silence the JVM when the cache cannot be used (stale jar, other JVM options): it then
        # just starts without it.
        ARCHIVE_QUIET='-Xlog:aot=off -Xlog:cds=off' ;;
    cds)
        ARCHIVE_FILE=banger.jsa
        ARCHIVE_USE="-XX:SharedArchiveFile=\$home/lib/$ARCHIVE_FILE"
        ARCHIVE_MAKE="-XX:ArchiveClassesAtExit=$HOME_DIR/lib/$ARCHIVE_FILE"
        ARCHIVE_MAKE_FLAGS=
        ARCHIVE_QUIET='-Xlog:cds=off -Xlog:cds+dynamic=off' ;;
    none) ARCHIVE_FILE= ;;
    *) die "BANGER_ARCHIVE must be aot, cds or none; got '$archive'" ;;
esac

# ---- launchers ---------------------------------------------------------------------------
# launcher_head: the launchers' shared head (locate home, find a JDK).
launcher_head() {
    cat <<HEAD
#!/bin/sh
# Generated by scripts/build.sh (commit $commit, JDK $BANGER_JAVA_VERSION); do not edit.
# BANGER_JAVA_OPTS: extra JVM options, for debugging (e.g. BANGER_JAVA_OPTS=-Xlog:class+load).
HEAD
    cat <<'HEAD'
self=$(readlink -f -- "$0") && [ -n "$self" ] || { echo "${0##*/}: cannot resolve the path of $0" >&2; exit 1; }
home=${self%/bin/*}
[ -r "$home/lib/find-java.sh" ] || { echo "${0##*/}: $home/lib/find-java.sh is missing: rebuild with scripts/build.sh" >&2; exit 1; }
. "$home/lib/find-java.sh"
find_java || exit 1
HEAD
}

{
    launcher_head
    printf 'built_java_version=%s\n' "'$BANGER_JAVA_VERSION'"
    printf 'cp="%s"\n' "$CLI_CP_REL"
    cat <<'BODY'
# File names are bytes; Java maps them through the locale's charset, and under C/POSIX a name like
# é.txt cannot even be opened (vm run PATH, vm cp). Only the character type is made UTF-8.
case "${LC_ALL:-${LC_CTYPE:-${LANG:-}}}" in
*[Uu][Tt][Ff]-8* | *[Uu][Tt][Ff]8*) ;;
*) if [ -n "${LC_ALL:-}" ]; then export LC_ALL=C.UTF-8; else export LC_CTYPE=C.UTF-8; fi ;;
esac
if [ -t 0 ]; then tty_in=true; else tty_in=false; fi
if [ -t 1 ]; then tty_out=true; else tty_out=false; fi
if [ -t 2 ]; then tty_err=true; else tty_err=false; fi
# shellcheck disable=SC2086
BODY
    # shellcheck disable=SC2016 # written as is into the launcher
    printf 'set -- ${BANGER_JAVA_OPTS:-} %s "$@"\n' "$CLI_MAIN"
    if [ -n "$ARCHIVE_FILE" ]; then
        cat <<BODY
# The start-up archive only fits the exact JDK it was made with.
if [ "\$BANGER_JAVA_VERSION" = "\$built_java_version" ] && [ -r "\$home/lib/$ARCHIVE_FILE" ]; then
    set -- "$ARCHIVE_USE" $ARCHIVE_QUIET "\$@"
fi
BODY
    fi
    cat <<BODY
exec "\$BANGER_JAVA_HOME/bin/java" $CLI_FLAGS -Dbanger.home="\$home" \\
    -Dbanger.tty.in=\$tty_in -Dbanger.tty.out=\$tty_out -Dbanger.tty.err=\$tty_err -cp "\$cp" "\$@"
BODY
} >build/bin/banger

{
    launcher_head
    printf 'cp="%s"\n' "$DAEMON_CP_REL"
    echo '# shellcheck disable=SC2086'
    # shellcheck disable=SC2016
    printf 'set -- ${BANGER_JAVA_OPTS:-} %s "$@"\n' "$DAEMON_MAIN"
    cat <<'BODY'
if [ "$BANGER_JAVA_MAJOR" -ge 24 ]; then
    set -- --sun-misc-unsafe-memory-access=allow "$@"
fi
if [ "$BANGER_JAVA_MAJOR" -ge 22 ]; then
    set -- -XX:TrimNativeHeapInterval=5000 "$@"
fi
# Image layers carry non-ASCII file names: Java can only create them under a UTF-8 locale. The C
# part keeps the tools' messages in English, as the daemon's error handling reads them.
LC_ALL=C.UTF-8
export LC_ALL
# Defence in depth: what bangerd and its tools create is private unless the code says otherwise
# (it sets state dirs 0700, disks 0600 explicitly; the systemd unit has UMask=0077 too).
umask 077
BODY
    # shellcheck disable=SC2016 # written as is into the launcher
    printf 'exec "$BANGER_JAVA_HOME/bin/java" %s --enable-native-access=ALL-UNNAMED -Dbanger.home="$home" -cp "$cp" "$@"\n' "$DAEMON_FLAGS"
} >build/bin/bangerd
chmod 755 build/bin/banger build/bin/bangerd
for f in build/bin/banger build/bin/bangerd; do sh -n "$f" || die "generated $f is not valid sh"; done

# ---- the CLI's start-up archive: a training run of everyday commands against a real daemon --
cleanup() { temp_daemon_stop; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "$ARCHIVE_FILE" ]; then
    say "training the CLI's start-up archive ($archive, build/lib/$ARCHIVE_FILE)"
    temp_daemon_start "$ROOT/build/bin/bangerd" || die "cannot start a temporary bangerd for the training run"
    # One JVM runs several everyday commands (AotTraining; `---` separates them), so the archive
    # holds what each loads. Every class in it is loaded at every start, so this is a trade: a
    # training set with `--help` (the whole command tree) made `vm list` and `--help` cheaper but
    # `ping` dearer (ARCHITECTURE.md, CLI start-up). `vm run --help` builds banger's main command's
    # model, whose option bindings are lambdas: archived, they are not spun at each start.
    s=$TEMP_DAEMON_SOCKET
    # The CLI has no read timeout of its own: bound the run.
    # shellcheck disable=SC2086 # CLI_FLAGS and ARCHIVE_MAKE_FLAGS are lists of options
    if ! train_out=$(timeout 120 "$JAVA" $CLI_FLAGS $ARCHIVE_MAKE_FLAGS "$ARCHIVE_MAKE" -Dbanger.home="$HOME_DIR" \
            -Dbanger.tty.out=false -Dbanger.tty.err=false -cp "$CLI_CP" dev.banger.cli.AotTraining \
            --socket "$s" ping --- --socket "$s" version --- --socket "$s" vm list --- --socket "$s" ps \
            --- --socket "$s" image list --- --socket "$s" vm run --help 2>&1); then
        printf '%s\n' "$train_out" >&2
        die "the training run (banger ping, version, vm list, ps, image list, vm run --help) failed"
    fi
    [ -s "build/lib/$ARCHIVE_FILE" ] || { printf '%s\n' "$train_out" >&2; die "the JVM wrote no build/lib/$ARCHIVE_FILE"; }

    # Verify, through the launcher, that the archive is really used and that it prints nothing extra.
    verify_log=$(mktemp)
    out=$(BANGER_JAVA_OPTS="-Xlog:class+load=info:file=$verify_log" timeout 60 build/bin/banger --socket "$TEMP_DAEMON_SOCKET" ping 2>&1) \
        || { printf '%s\n' "$out" >&2; rm -f "$verify_log"; die "build/bin/banger ping failed with the archive"; }
    # AOT: everything comes from the one cache. CDS: the app's classes come from the dynamic
    # ("top") archive, the JDK's from the JDK's own base archive.
    if [ "$archive" = aot ]; then from='source: shared objects file'; else from='source: shared objects file (top)'; fi
    total=$(grep -c 'source:' "$verify_log" || :)
    shared=$(grep -cF "$from" "$verify_log" || :)
    app_total=$(grep -c '\] dev\.banger\.' "$verify_log" || :)
    app_shared=$(grep '\] dev\.banger\.' "$verify_log" | grep -cF "$from" || :)
    rm -f "$verify_log"
    case $out in
        'pong from bangerd'*) ;;
        *) printf '%s\n' "$out" >&2; die "unexpected output from build/bin/banger ping (warnings?)" ;;
    esac
    [ "${app_shared:-0}" -gt 0 ] || die "the JVM loaded no banger class from build/lib/$ARCHIVE_FILE: the archive is not used"
    say "archive check: $shared of $total classes loaded by \`banger ping\` ($app_shared of $app_total of banger's own) came from build/lib/$ARCHIVE_FILE"
    temp_daemon_stop
fi

# ---- completion ----------------------------------------------------------------------------
build/bin/banger completion bash >build/completion/banger.bash || die "banger completion bash failed"
build/bin/banger completion zsh >build/completion/banger.zsh || die "banger completion zsh failed"
build/bin/banger completion fish >build/completion/banger.fish || die "banger completion fish failed"
for f in build/completion/banger.bash build/completion/banger.zsh build/completion/banger.fish; do [ -s "$f" ] || die "empty $f"; done

# ---- man pages -----------------------------------------------------------------------------
build/bin/banger internal man-pages build/share/man/man1 >/dev/null || die "banger internal man-pages failed"
[ -s build/share/man/man1/banger-vm-create.1 ] || die "no man page for banger vm create"

if [ -n "$RELEASE_KEY" ]; then
    build/bin/bangerd release --key "$RELEASE_KEY" --out build/banger-release.bundle build || die "cannot make the release bundle"
fi

say "done. Launchers:"
say "  $HOME_DIR/bin/banger"
say "  $HOME_DIR/bin/bangerd"
say "completion: source $HOME_DIR/completion/banger.bash (bash) or banger.zsh (zsh); fish: source banger.fish"
