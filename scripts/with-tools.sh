#!/usr/bin/env bash
# Runs a command with Node 24 first on PATH and the offline Temporal tools exposed as
# TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH (see scripts/tools.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exports="$(bash "$here/tools.sh" env)"
eval "$exports"
exec "$@"
