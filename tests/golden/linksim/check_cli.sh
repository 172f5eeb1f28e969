#!/usr/bin/env bash
# botwarden-linksim's command line: exit codes and messages, word for word.
# usage: check_cli.sh LINKSIM SOURCE_DIR WORKDIR
set -uo pipefail
linksim="$1" src="$2" work="$3"
rm -rf "$work" && mkdir -p "$work"
fail=0
# expect CODE EXPECTED_STDERR_LINE -- ARGS...
expect() {
  local code="$1" want="$2"; shift 3
  local got rc
  got="$("$linksim" "$@" 2>&1 >/dev/null | head -1)"; rc=$?
  "$linksim" "$@" >/dev/null 2>&1; rc=$?
  if [[ "$rc" != "$code" || "$got" != "$want" ]]; then
    echo "FAIL: botwarden-linksim $*"
    echo "  exit $rc (want $code), stderr: '$got'"
    echo "  want stderr: '$want'"
    fail=1
  fi
}
printf '[scenario]\nname = "x"\n[scenario.subscribers]\nweb_only = 1\nbot_sloww = 1\n' > "$work/bad.toml"
printf '[scenario.subscribers]\nweb_only = "1"\n' > "$work/type.toml"
printf '[scenario\n' > "$work/syntax.toml"

expect 2 "botwarden-linksim: $work/bad.toml:5: scenario.subscribers.bot_sloww: unknown key" -- \
  --scenario "$work/bad.toml" --out "$work/out"
expect 2 "botwarden-linksim: $work/type.toml:2: scenario.subscribers.web_only: expected an integer, got a string" -- \
  --scenario "$work/type.toml" --out "$work/out"
expect 2 "botwarden-linksim: $work/missing.toml: cannot open configuration file" -- \
  --scenario "$work/missing.toml" --out "$work/out"
expect 2 "--scenario is required" -- --out "$work/out"
expect 2 "Could not convert: --seed = abc" -- --scenario "$src/configs/scenarios/tiny.toml" --out "$work/out" --seed abc
expect 1 "botwarden-linksim: /proc/linksim/out: cannot create folder: No such file or directory" -- \
  --scenario "$src/configs/scenarios/tiny.toml" --out /proc/linksim/out
expect 0 "" -- --scenario "$src/configs/scenarios/tiny.toml" --out "$work/out" --seed 3
for f in capture.pcap labels.json accounts.csv kea-leases4.csv radius-detail ipv6-delegations.csv; do
  [[ -f "$work/out/$f" ]] || { echo "FAIL: $f was not written"; fail=1; }
done
grep -q '"seed": 3,' "$work/out/labels.json" || { echo "FAIL: --seed 3 not in labels.json"; fail=1; }
[[ "$("$linksim" --version)" =~ ^botwarden-linksim\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "FAIL: --version"; fail=1; }
"$linksim" --help | grep -q "^Exit codes: 0 done, 1 output error, 2 bad command line or scenario file.$" ||
  { echo "FAIL: --help does not document exit codes"; fail=1; }
summary="$("$linksim" --scenario "$src/configs/scenarios/tiny.toml" --out "$work/out2")"
[[ "$summary" =~ ^tiny:\ seed\ 1,\ 7\ subscribers,\ [0-9]+\ smtp\ sessions, ]] || { echo "FAIL: summary '$summary'"; fail=1; }
[[ $fail == 0 ]] && echo "ok: command line exit codes and messages"
exit $fail
