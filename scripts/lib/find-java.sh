# shellcheck shell=sh disable=SC2034,SC1007
# find-java.sh: locate a JDK >= 21 for banger. POSIX sh, meant to be sourced (by scripts/*.sh and
# by the build/bin launchers, on every CLI command: the common path uses shell builtins only).
#
#   find_java [--jdk]      sets BANGER_JAVA_HOME, BANGER_JAVA_VERSION, BANGER_JAVA_MAJOR; returns 1
#                          with an explanation on stderr when there is none. --jdk also requires
#                          bin/javac (for building). Order: $JAVA_HOME if >= 21; else the newest
#                          JDK under /usr/lib/jvm; else the home of `java` on PATH if >= 21.
#   java_version_of HOME   prints HOME's exact JAVA_VERSION (from HOME/release); returns 1 if unknown.
#   java_major_of VERSION  prints the major version of a JAVA_VERSION string ("1.8.0_392" -> 8).
#
# Internal names start with _fj_ so that sourcing this file clobbers nothing of the caller's.

BANGER_JAVA_MIN=${BANGER_JAVA_MIN:-21}
BANGER_JVM_DIR=${BANGER_JVM_DIR:-/usr/lib/jvm}

# _fj_read_version HOME: sets _fj_version from HOME/release (no subprocess); 1 if absent.
_fj_read_version() {
    _fj_version=
    [ -r "$1/release" ] || return 1
    while IFS= read -r _fj_line || [ -n "$_fj_line" ]; do
        case $_fj_line in
            JAVA_VERSION=*)
                _fj_version=${_fj_line#JAVA_VERSION=}
                _fj_version=${_fj_version#\"}
                _fj_version=${_fj_version%\"}
                break
                ;;
        esac
    done <"$1/release"
    [ -n "$_fj_version" ]
}

# _fj_major VERSION: sets _fj_maj ("1.8.0_392" -> 8, "25" -> 25, "25-ea" -> 25, "" -> 0).
_fj_major() {
    _fj_maj=$1
    case $_fj_maj in 1.*) _fj_maj=${_fj_maj#1.} ;; esac
    _fj_maj=${_fj_maj%%[!0-9]*}
    _fj_maj=${_fj_maj:-0}
}

# _fj_newer A B: true when version A is newer than B (numeric, component by component).
_fj_newer() {
    _fj_a=$1 _fj_b=$2
    case $_fj_a in 1.*) _fj_a=${_fj_a#1.} ;; esac
    case $_fj_b in 1.*) _fj_b=${_fj_b#1.} ;; esac
    while [ -n "$_fj_a" ] || [ -n "$_fj_b" ]; do
        _fj_x=${_fj_a%%[!0-9]*} _fj_y=${_fj_b%%[!0-9]*}
        _fj_a=${_fj_a#"$_fj_x"} _fj_b=${_fj_b#"$_fj_y"}
        _fj_a=${_fj_a#?} _fj_b=${_fj_b#?}
        # Compare as strings of digits without leading zeros so huge build numbers cannot overflow.
        while [ "${_fj_x#0}" != "$_fj_x" ]; do _fj_x=${_fj_x#0}; done
        while [ "${_fj_y#0}" != "$_fj_y" ]; do _fj_y=${_fj_y#0}; done
        if [ ${#_fj_x} -ne ${#_fj_y} ]; then
            [ ${#_fj_x} -gt ${#_fj_y} ]
            return
        fi
        if [ "$_fj_x" != "$_fj_y" ]; then
            [ "$_fj_x" -gt "$_fj_y" ]
            return
        fi
    done
    return 1
}

# _fj_consider HOME LABEL: checks one candidate; records it in _fj_seen; true when it qualifies
# (bin/java, and bin/javac under --jdk, and a JAVA_VERSION with major >= BANGER_JAVA_MIN).
_fj_consider() {
    _fj_maj=0
    if [ ! -x "$1/bin/java" ]; then
        _fj_seen="$_fj_seen
    $2$1: no bin/java"
        return 1
    fi
    if ! _fj_read_version "$1"; then
        _fj_seen="$_fj_seen
    $2$1: no JAVA_VERSION in $1/release"
        return 1
    fi
    _fj_major "$_fj_version"
    if [ "$_fj_maj" -lt "$BANGER_JAVA_MIN" ]; then
        _fj_seen="$_fj_seen
    $2$1: Java $_fj_version (too old)"
        return 1
    fi
    if [ -n "$_fj_need_javac" ] && [ ! -x "$1/bin/javac" ]; then
        _fj_seen="$_fj_seen
    $2$1: Java $_fj_version, but a JRE (no bin/javac)"
        return 1
    fi
    _fj_seen="$_fj_seen
    $2$1: Java $_fj_version"
    return 0
}

_fj_accept() {
    BANGER_JAVA_HOME=$1
    BANGER_JAVA_VERSION=$2
    _fj_major "$2"
    BANGER_JAVA_MAJOR=$_fj_maj
}

find_java() {
    _fj_need_javac=
    [ "${1:-}" = --jdk ] && _fj_need_javac=1
    _fj_seen=

    # 1. $JAVA_HOME, when it is new enough.
    if [ -n "${JAVA_HOME:-}" ]; then
        if _fj_consider "${JAVA_HOME%/}" 'JAVA_HOME='; then
            _fj_accept "${JAVA_HOME%/}" "$_fj_version"
            return 0
        fi
    fi

    # 2. The newest JDK under /usr/lib/jvm (symlinked aliases are skipped: their target is listed too).
    _fj_best= _fj_bestv=
    for _fj_d in "$BANGER_JVM_DIR"/*; do
        [ -d "$_fj_d" ] && [ ! -L "$_fj_d" ] || continue
        if _fj_consider "$_fj_d" ''; then
            if [ -z "$_fj_best" ] || _fj_newer "$_fj_version" "$_fj_bestv"; then
                _fj_best=$_fj_d _fj_bestv=$_fj_version
            fi
        fi
    done
    if [ -n "$_fj_best" ]; then
        _fj_accept "$_fj_best" "$_fj_bestv"
        return 0
    fi

    # 3. `java` on PATH (rare: only here do we spawn processes).
    if _fj_java=$(command -v java 2>/dev/null) && [ -n "$_fj_java" ]; then
        _fj_real=$(readlink -f -- "$_fj_java" 2>/dev/null) || _fj_real=$_fj_java
        _fj_home=${_fj_real%/bin/java}
        if [ -r "$_fj_home/release" ]; then
            if _fj_consider "$_fj_home" "java on PATH ($_fj_java) -> "; then
                _fj_accept "$_fj_home" "$_fj_version"
                return 0
            fi
        else
            # No release file: ask the JVM itself.
            _fj_props=$("$_fj_java" -XshowSettings:properties -version 2>&1) || _fj_props=
            _fj_version= _fj_home=
            _fj_oldifs=$IFS
            IFS='
'
            for _fj_line in $_fj_props; do
                case $_fj_line in
                    *'java.home = '*) _fj_home=${_fj_line#*java.home = } ;;
                    *'java.version = '*) _fj_version=${_fj_line#*java.version = } ;;
                esac
            done
            IFS=$_fj_oldifs
            _fj_major "$_fj_version"
            if [ -n "$_fj_home" ] && [ "$_fj_maj" -ge "$BANGER_JAVA_MIN" ] \
                && { [ -z "$_fj_need_javac" ] || [ -x "$_fj_home/bin/javac" ]; }; then
                _fj_accept "$_fj_home" "$_fj_version"
                return 0
            fi
            _fj_seen="$_fj_seen
    java on PATH ($_fj_java): Java ${_fj_version:-of unknown version} at ${_fj_home:-an unknown home}"
        fi
    else
        _fj_seen="$_fj_seen
    no \`java\` on PATH"
    fi

    [ -n "$_fj_need_javac" ] && _fj_what='JDK' || _fj_what='Java runtime'
    cat >&2 <<MSG
banger: no $_fj_what of version $BANGER_JAVA_MIN or newer was found. Looked at:${_fj_seen:-
    nothing (JAVA_HOME unset, $BANGER_JVM_DIR empty)}
  Fix: install a JDK >= $BANGER_JAVA_MIN (Eclipse Temurin 25 is what banger is built and tested with;
  Debian 12's apt has no JDK that new, so use Adoptium's package or tarball), then either
  install it under $BANGER_JVM_DIR or point JAVA_HOME at it: export JAVA_HOME=/path/to/jdk-25
MSG
    return 1
}

# java_version_of HOME: prints HOME's exact JAVA_VERSION string (e.g. 25.0.3).
java_version_of() {
    _fj_read_version "${1%/}" || return 1
    printf '%s\n' "$_fj_version"
}

# java_major_of VERSION: prints its major version.
java_major_of() {
    _fj_major "$1"
    printf '%s\n' "$_fj_maj"
}
