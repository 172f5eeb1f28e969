#!/usr/bin/env bash
# Runs the browser tests: installs playwright-core (pinned in package.json and
# package-lock.json) when node_modules is missing, then runs each test with
# node. Chromium is Debian's /usr/bin/chromium (scripts/install-deps.sh).
# Usage: run.sh TEST.mjs NOTIFIER HASH_PASSWORD SOURCE_DIR
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
if [[ ! -d $HERE/node_modules/playwright-core ]]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --silent)
fi
test=$1
shift
exec node "$HERE/$test" "$@"
