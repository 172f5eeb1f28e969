#!/usr/bin/env bash
# Rewrites the tiny scenario's baseline (review the diff before committing).
# usage: tests/golden/linksim/regenerate.sh BUILD_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../../.."
build="${1:?usage: regenerate.sh BUILD_DIR}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$build/tools/linksim/botwarden-linksim" --scenario "$root/configs/scenarios/tiny.toml" --out "$out" >/dev/null
cp "$out/labels.json" "$here/tiny/expected-labels.json"
(cd "$out" && sha256sum capture.pcap) > "$here/tiny/capture.sha256"
echo "baseline rewritten in $here/tiny; review with: git diff $here/tiny"
