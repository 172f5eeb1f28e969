#!/usr/bin/env bash
# E2E walled garden in network namespaces (needs root): subscriber -> router
# (nftables from botwarden's enforcer) -> outside web hosts / notice page.
# Proves: a walled subscriber's HTTP request lands on the notice page, which
# sees the subscriber's real address; an allow-listed host stays reachable;
# other traffic is refused; the ipset file restores; after release the
# request reaches the real host again; changes are pushed within seconds.
# All of it over IPv4 and IPv6 (the subscriber's /64 delegation).
# Usage: walled_garden_test.sh DRIVER SOURCE_DIR
set -euo pipefail
DRIVER=$1
SRC=$2
HERE=$SRC/tests/e2e/walled_garden
TAG=$$
SUB=bwwg-$TAG-sub RTR=bwwg-$TAG-rtr OUT=bwwg-$TAG-out PAGE=bwwg-$TAG-page
TMP=$(mktemp -d /tmp/bw-walled-garden-XXXXXX)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in $SUB $RTR $OUT $PAGE; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }

# ---- namespaces and links (10.201.0.0/16 exists only inside them) ----------
for ns in $SUB $RTR $OUT $PAGE; do ip netns add "$ns"; done
link() {  # link NS_A IF_A ADDR_A NS_B IF_B ADDR_B
  ip link add "$2" type veth peer name "$5"
  ip link set "$2" netns "$1"; ip link set "$5" netns "$4"
  ip -n "$1" addr add "$3" dev "$2"; ip -n "$4" addr add "$6" dev "$5"
  ip -n "$1" link set "$2" up; ip -n "$4" link set "$5" up
}
link $SUB wg${TAG}s 10.201.1.2/24 $RTR wg${TAG}rs 10.201.1.1/24
link $OUT wg${TAG}o 10.201.2.2/24 $RTR wg${TAG}ro 10.201.2.1/24
link $PAGE wg${TAG}p 10.201.3.2/24 $RTR wg${TAG}rp 10.201.3.1/24
ip -n $OUT addr add 10.201.2.3/24 dev wg${TAG}o   # the allow-listed host
# IPv6: the subscriber's /64 is its delegation (2001:db8::/32 is documentation space, only inside the namespaces).
v6() { ip -n "$1" addr add "$2" dev "$3" nodad; }
v6 $SUB 2001:db8:201:1::2/64 wg${TAG}s; v6 $RTR 2001:db8:201:1::1/64 wg${TAG}rs
v6 $OUT 2001:db8:201:2::2/64 wg${TAG}o; v6 $OUT 2001:db8:201:2::3/64 wg${TAG}o; v6 $RTR 2001:db8:201:2::1/64 wg${TAG}ro
v6 $PAGE 2001:db8:201:3::2/64 wg${TAG}p; v6 $RTR 2001:db8:201:3::1/64 wg${TAG}rp
ip -n $SUB -6 route add default via 2001:db8:201:1::1
ip -n $OUT -6 route add default via 2001:db8:201:2::1
ip -n $PAGE -6 route add default via 2001:db8:201:3::1
ip netns exec $RTR sysctl -qw net.ipv6.conf.all.forwarding=1
for ns in $SUB $RTR $OUT $PAGE; do ip -n "$ns" link set lo up; done
ip -n $SUB route add default via 10.201.1.1
ip -n $OUT route add default via 10.201.2.1
ip -n $PAGE route add default via 10.201.3.1
ip netns exec $RTR sysctl -qw net.ipv4.ip_forward=1

# ---- servers -----------------------------------------------------------------
mkdir -p "$TMP/real" "$TMP/allowed"
echo "REAL SITE" > "$TMP/real/index.html"
echo "ALLOWED SITE" > "$TMP/allowed/index.html"
serve() {  # serve NS ADDRESS PORT DIR
  ip netns exec "$1" /usr/bin/python3 -m http.server "$3" --bind "$2" --directory "$4" >/dev/null 2>&1 &
  PIDS+=($!)
}
serve $OUT 10.201.2.2 80 "$TMP/real"
serve $OUT 10.201.2.2 8000 "$TMP/real"
serve $OUT 10.201.2.3 80 "$TMP/allowed"
serve $OUT 2001:db8:201:2::2 80 "$TMP/real"
serve $OUT 2001:db8:201:2::3 80 "$TMP/allowed"
for page in 10.201.3.2 2001:db8:201:3::2; do
  ip netns exec $PAGE /usr/bin/python3 "$HERE/notice_page.py" $page 8080 >/dev/null 2>&1 &
  PIDS+=($!)
done

get() {  # get URL -> body on stdout, curl's exit status
  ip netns exec $SUB curl -s -g --max-time 3 "$1"
}
for url in http://10.201.2.2/ http://10.201.2.2:8000/ http://10.201.2.3/ http://10.201.3.2:8080/ \
           "http://[2001:db8:201:2::2]/" "http://[2001:db8:201:2::3]/" "http://[2001:db8:201:3::2]:8080/"; do
  # Up to 30 s for the servers to listen: seven Python servers start at once,
  # and on a loaded 2-core CI machine (Chromium starting beside them) 5 s was
  # once not enough.
  for _ in $(seq 300); do get "$url" >/dev/null && break; sleep 0.1; done
done
[[ $(get http://10.201.2.2/) == "REAL SITE" ]] || fail "baseline: the real site is not reachable"
[[ $(get "http://[2001:db8:201:2::2]/") == "REAL SITE" ]] || fail "baseline: the real site is not reachable over IPv6"

# ---- the enforcer, driven by the store -----------------------------------------
cat > "$TMP/botwarden.toml" <<TOML
[enforce]
enabled = true
nft_file = "$TMP/walled-garden.nft"
ipset_file = "$TMP/walled-garden.ipset"
notice_page = "10.201.3.2:8080"
notice_page6 = "[2001:db8:201:3::2]:8080"
allow = ["10.201.2.3/32", "2001:db8:201:2::3/128"]
apply_command = ["ip", "netns", "exec", "$RTR", "nft", "-f", "{file}"]
poll_seconds = 0.2
TOML
DB=$TMP/bw.db
"$DRIVER" apply "$DB" "$TMP/botwarden.toml" >/dev/null   # creates the database and the empty ruleset
"$DRIVER" enforce "$DB" "$TMP/botwarden.toml" 60 >"$TMP/enforcer.log" 2>&1 &
PIDS+=($!)
sleep 0.5
[[ $(get http://10.201.2.2/) == "REAL SITE" ]] || fail "empty walled garden changed traffic"

wait_for() {  # wait_for URL EXPECTED -> ms it took (fails after 10 s)
  local start; start=$(now_ms)
  for _ in $(seq 100); do
    if [[ $(get "$1" || true) == "$2" ]]; then echo $(( $(now_ms) - start )); return 0; fi
    sleep 0.1
  done
  fail "$1 never answered '$2' (last: '$(get "$1" || true)')"
}

[[ $("$DRIVER" wall "$DB" acct-7 10.201.1.2 2001:db8:201:1::/64) == "incident 1 walled_garden" ]] ||
  fail "driver could not wall acct-7"
ms=$(wait_for http://10.201.2.2/ "NOTICE PAGE client=10.201.1.2 host=10.201.2.2")
echo "walled: the notice page answered ${ms} ms after the state change and saw client 10.201.1.2"
[[ $(get http://10.201.2.3/) == "ALLOWED SITE" ]] || fail "allow-listed host not reachable while walled"
[[ $(get "http://[2001:db8:201:2::2]/") == "NOTICE PAGE client=2001:db8:201:1::2 host=[2001:db8:201:2::2]" ]] ||
  fail "IPv6: walled request did not land on the notice page: $(get "http://[2001:db8:201:2::2]/" || true)"
[[ $(get "http://[2001:db8:201:2::3]/") == "ALLOWED SITE" ]] || fail "IPv6: allow-listed host not reachable"
echo "walled over IPv6 too: the notice page saw client 2001:db8:201:1::2"
start=$(now_ms)
if get http://10.201.2.2:8000/ >/dev/null; then fail "walled subscriber reached port 8000"; fi
(( $(now_ms) - start < 2000 )) || fail "blocked TCP was not reset promptly"
grep -q "10.201.1.2" "$TMP/walled-garden.nft" || fail "ruleset file lacks the walled address"
set4=$(ip netns exec $RTR nft list set inet botwarden walled4)   # no pipe into grep -q: SIGPIPE + pipefail
[[ $set4 == *"10.201.1.2"* ]] || fail "nft set lacks the address: $set4"
ip netns exec $RTR ipset restore < "$TMP/walled-garden.ipset" || fail "ipset restore refused the file"
ip netns exec $RTR ipset test botwarden-walled4 10.201.1.2 2>/dev/null || fail "ipset lacks the walled address"
ip netns exec $RTR ipset test botwarden-walled6 2001:db8:201:1::77 2>/dev/null || fail "ipset lacks the walled /64"
if ip netns exec $RTR ipset test botwarden-walled4 10.201.1.99 2>/dev/null; then fail "ipset holds a wrong address"; fi

[[ $("$DRIVER" release "$DB" acct-7) == "incident 1 acknowledged" ]] || fail "driver could not release acct-7"
ms=$(wait_for http://10.201.2.2/ "REAL SITE")
echo "released: the real site answered ${ms} ms after the release"
[[ $(get http://10.201.2.2:8000/) == "REAL SITE" ]] || fail "port 8000 still blocked after release"
[[ $(get "http://[2001:db8:201:2::2]/") == "REAL SITE" ]] || fail "IPv6 still walled after release"
ip netns exec $RTR ipset restore < "$TMP/walled-garden.ipset" || fail "ipset restore refused the empty file"
if ip netns exec $RTR ipset test botwarden-walled4 10.201.1.2 2>/dev/null; then fail "ipset still walls after release"; fi
grep -q "\[error\]" "$TMP/enforcer.log" && fail "enforcer logged an error: $(cat "$TMP/enforcer.log")"
echo "PASS walled garden"
