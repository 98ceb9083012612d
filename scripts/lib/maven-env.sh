# shellcheck shell=sh
# maven-env.sh: point Maven at the JDK that find_java chose. Sourced after find-java.sh.
#   maven_env   exports JAVA_HOME=$BANGER_JAVA_HOME, and on JDK >= 24 adds
#               --sun-misc-unsafe-memory-access=allow to MAVEN_OPTS (Maven 3.8's libraries use
#               sun.misc.Unsafe; the flag does not exist before JDK 24).
maven_env() {
    export JAVA_HOME="$BANGER_JAVA_HOME"
    if [ "$BANGER_JAVA_MAJOR" -ge 24 ]; then
        case " ${MAVEN_OPTS:-} " in
            *' --sun-misc-unsafe-memory-access='*) ;;
            *) MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }--sun-misc-unsafe-memory-access=allow" ;;
        esac
        export MAVEN_OPTS
    fi
    if ! command -v mvn >/dev/null 2>&1; then
        echo "mvn is not installed: run scripts/host-setup.sh as root (or apt-get install maven)" >&2
        return 1
    fi
}
