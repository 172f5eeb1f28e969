#!/usr/bin/env bash
# Walled-garden notice page under load: wrk against `botwarden-notifier serve`
# (the subscriber's own notice, rendered per request from the store) and, in
# the same run, against nginx serving a static copy of the same page; prints
# requests/s and p99 latency side by side. wrk, the notifier and nginx share
# this machine's cores, so the ratio is the figure to compare, not the totals.
#
# Usage: bench/web/run.sh [--build DIR] [--seconds N] [--connections N] [--threads N]
# Needs: wrk, nginx (nginx-light), curl (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build seconds=10 connections=32 threads=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "usage: bench/web/run.sh [--build DIR] [--seconds N] [--connections N] [--threads N]" >&2; exit 2 ;;
  esac
done
notifier=$build/notifier/botwarden-notifier
[[ -x $notifier ]] || { echo "bench/web: $notifier not built" >&2; exit 2; }
for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] || { echo "bench/web: $tool not installed" >&2; exit 2; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d /tmp/bw-bench-web-XXXXXX)
serve_pid="" nginx_pid=""
cleanup() {
  [[ -n $serve_pid ]] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  [[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
web_port=$(port) nginx_port=$(port)

cat > "$work/botwarden.toml" <<TOML
[notifier]
database = "$work/bw.db"
log_level = "warn"
[web]
listen = ["127.0.0.1:$web_port"]
trusted_proxies = ["127.0.0.0/8"]
[notices]
enabled = false
TOML
N() { "$notifier" -c "$work/botwarden.toml" "$@"; }
now=$(date -u +%s)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
printf 'account,email,language,business,exempt,name\nalice,alice@example.net,en,no,no,Alice\n' > "$work/accounts.csv"
printf 'prefix,account,start,end\n100.64.0.10/32,alice,%s,\n' "$(iso $((now - 86400)))" > "$work/leases.csv"
cat > "$work/events.jsonl" <<JSON
{"type":"detection","schema":1,"id":"000000000000000000000000000000b1","ts":"$(iso $((now - 60)))","sensor":"sensor1","subscriber":"100.64.0.10","address":"100.64.0.10","detector":"bad_helo","score":5.0,"first_seen":"$(iso $((now - 600)))","last_seen":"$(iso $((now - 60)))","exempt":false,"evidence":{"sessions":40,"window_seconds":600,"sample_helos":["<img src=x onerror=alert(1)>","localhost"]}}
JSON
N import-leases --format accounts "$work/accounts.csv" >/dev/null
N import-leases --format static-csv "$work/leases.csv" >/dev/null
N ingest "$work/events.jsonl" >/dev/null
"$notifier" -c "$work/botwarden.toml" serve >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$web_port/static/botwarden.css" && break; sleep 0.1; done

# The static copy nginx serves: the very page the notifier renders for alice.
mkdir -p "$work/www" "$work/nginx"
chmod 755 "$work" "$work/www"  # nginx workers run as nobody when started as root
curl -sf -H 'X-Forwarded-For: 100.64.0.10' "http://127.0.0.1:$web_port/some/path" > "$work/www/index.html"
grep -q 'A device on your connection is sending spam' "$work/www/index.html" || { echo "bench/web: notice page not rendered" >&2; exit 1; }
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
    location / {
      default_type "text/html; charset=utf-8";
      add_header Cache-Control no-store;
      try_files /index.html =404;
    }
  }
}
CONF
"$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/some/path" && break; sleep 0.1; done
cmp -s <(curl -sf "http://127.0.0.1:$nginx_port/some/path") "$work/www/index.html" ||
  { echo "bench/web: nginx does not serve the page" >&2; cat "$work/nginx/error.log" >&2; exit 1; }

run_wrk() {  # name url -> "requests/s p99"
  wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -H 'X-Forwarded-For: 100.64.0.10' "$2" > "$work/$1.wrk"
  local rps p99 errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/$1.wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$work/$1.wrk")
  errors=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$work/$1.wrk")
  [[ -z $errors ]] || { echo "bench/web: $1 answered $errors non-2xx responses" >&2; cat "$work/$1.wrk" >&2; exit 1; }
  echo "$rps $p99"
}
bytes=$(wc -c < "$work/www/index.html")
echo "notice page ($bytes bytes), wrk -t$threads -c$connections -d${seconds}s, same machine, same run"
read -r b_rps b_p99 < <(run_wrk botwarden "http://127.0.0.1:$web_port/some/path")
read -r n_rps n_p99 < <(run_wrk nginx "http://127.0.0.1:$nginx_port/some/path")
printf '%-34s %14s %12s\n' "" "requests/s" "p99 latency"
printf '%-34s %14s %12s\n' "botwarden-notifier (dynamic)" "$b_rps" "$b_p99"
printf '%-34s %14s %12s\n' "nginx (static copy)" "$n_rps" "$n_p99"
awk -v b="$b_rps" -v n="$n_rps" 'BEGIN { printf "botwarden / nginx throughput: %.2f\n", b / n }'
