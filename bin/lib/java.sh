# Selects a JDK >= 21 for Tempora's scripts. Source it (POSIX sh); do not execute it.
#
# Order: $JAVA_HOME if it is >= 21, else the newest /usr/lib/jvm/temurin-*, else the newest of any
# /usr/lib/jvm/*, else the `java` on PATH. Exports JAVA_HOME and puts its bin/ first on PATH, or
# prints what it tried and exits 1. Sets TEMPORA_JAVA_MAJOR to the chosen JDK's feature version.
# TEMPORA_JVM_DIR overrides /usr/lib/jvm (for tests).

TEMPORA_MIN_JAVA=21

# Prints the feature version (17, 21, 25, 8 for 1.8) of the java binary $1, or nothing. Reads the
# JDK's `release` file (JAVA_VERSION="25.0.3") when there is one next to bin/, which costs nothing;
# otherwise asks `java -version`, which starts a JVM (50-150 ms of every launch).
tempora_java_major() {
  [ -x "$1" ] || return 0
  tempora_release="${1%/bin/java}/release"
  if [ "$tempora_release" != "$1" ] && [ -f "$tempora_release" ] &&
    grep -q '^JAVA_VERSION="' "$tempora_release" 2>/dev/null; then
    sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$tempora_release" | head -n 1 |
      sed -e 's/^1\.\([0-9]*\).*/\1/' -e 's/^\([0-9]*\).*/\1/'
    return 0
  fi
  "$1" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1 |
    sed -e 's/^1\.\([0-9]*\).*/\1/' -e 's/^\([0-9]*\).*/\1/'
}

# Sets tempora_best_home to the JDK under $TEMPORA_JVM_DIR matching the glob $1 with the highest
# major version >= the minimum (empty if none), and appends what it looked at to tempora_tried.
tempora_newest_jdk() {
  tempora_best_home=
  tempora_best_major=0
  for tempora_home in "${TEMPORA_JVM_DIR:-/usr/lib/jvm}"/$1; do
    [ -x "$tempora_home/bin/java" ] || continue
    case "$1:${tempora_home##*/}" in
      "*:temurin-"*) continue ;; # already looked at in the first pass
    esac
    tempora_major=$(tempora_java_major "$tempora_home/bin/java")
    tempora_tried="$tempora_tried
  $tempora_home (${tempora_major:-unknown version})"
    if [ -n "$tempora_major" ] && [ "$tempora_major" -ge "$TEMPORA_MIN_JAVA" ] &&
      [ "$tempora_major" -gt "$tempora_best_major" ]; then
      tempora_best_home=$tempora_home
      tempora_best_major=$tempora_major
    fi
  done
}

tempora_select_java() {
  tempora_tried=
  if [ -n "${JAVA_HOME:-}" ]; then
    tempora_major=$(tempora_java_major "$JAVA_HOME/bin/java")
    tempora_tried="
  JAVA_HOME=$JAVA_HOME (${tempora_major:-no usable bin/java})"
    if [ -n "$tempora_major" ] && [ "$tempora_major" -ge "$TEMPORA_MIN_JAVA" ]; then
      TEMPORA_JAVA_MAJOR=$tempora_major
      return 0
    fi
  fi
  for tempora_glob in 'temurin-*' '*'; do
    tempora_newest_jdk "$tempora_glob"
    if [ -n "$tempora_best_home" ]; then
      JAVA_HOME=$tempora_best_home
      TEMPORA_JAVA_MAJOR=$tempora_best_major
      return 0
    fi
  done
  tempora_path_java=$(command -v java 2>/dev/null || true)
  if [ -n "$tempora_path_java" ]; then
    tempora_path_java=$(readlink -f "$tempora_path_java" 2>/dev/null || printf '%s' "$tempora_path_java")
    tempora_major=$(tempora_java_major "$tempora_path_java")
    tempora_tried="$tempora_tried
  java on PATH: $tempora_path_java (${tempora_major:-unknown version})"
    if [ -n "$tempora_major" ] && [ "$tempora_major" -ge "$TEMPORA_MIN_JAVA" ]; then
      JAVA_HOME=$(dirname "$(dirname "$tempora_path_java")")
      TEMPORA_JAVA_MAJOR=$tempora_major
      return 0
    fi
  fi
  return 1
}

if ! tempora_select_java; then
  echo "tempora: no JDK >= $TEMPORA_MIN_JAVA found. Searched JAVA_HOME, ${TEMPORA_JVM_DIR:-/usr/lib/jvm}/temurin-*, ${TEMPORA_JVM_DIR:-/usr/lib/jvm}/* and PATH; found:${tempora_tried:- nothing}" >&2
  echo "tempora: install a JDK $TEMPORA_MIN_JAVA or newer, or set JAVA_HOME to one." >&2
  exit 1
fi
export JAVA_HOME
PATH="$JAVA_HOME/bin:$PATH"
export PATH
