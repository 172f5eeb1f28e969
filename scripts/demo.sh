#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs
# botwarden on its embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
echo
echo "== botwarden programs =="
for p in build/sensor/botwarden-sensor build/notifier/botwarden-notifier; do
  "$p" --version
  "$p" --config configs/botwarden.toml
done

echo
echo "== linksim: the demo capture (docs/LINKSIM.md) =="
build/tools/linksim/botwarden-linksim --scenario configs/scenarios/mixed.toml --out build/demo/mixed
