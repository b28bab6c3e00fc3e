#!/usr/bin/env bash
# OAuth over HTTP: client_credentials token issuance and introspection
# throughput beside GET /validate, one server, one run, wrk on loopback.
# Prints a Markdown table. Called by benches/run; alone:
#   bash benches/oauth.sh [path/to/moth]
set -euo pipefail
moth=${1:-target/release/moth}
out=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$out"' EXIT
port=18788
base="http://127.0.0.1:$port"
"$moth" create -f "$out/db" >/dev/null
printf 'plum-orbit-velvet\n' | "$moth" user add ann -f "$out/db" >/dev/null
RUST_LOG=warn "$moth" run -f "$out/db" -p "$port" 2>"$out/server.log" &
server=$!
for _ in $(seq 50); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
field() { sed "s/.*\"$1\":\"\([^\"]*\)\".*/\1/"; }
token=$(curl -s -X GET "$base/login" -d '{"username":"ann","password":"plum-orbit-velvet"}' | field token)
client=$(curl -s -X POST "$base/oauth2/register" \
  -d '{"client_name":"bench","grant_types":["client_credentials"],"scope":"reports"}')
id=$(echo "$client" | field client_id)
secret=$(echo "$client" | field client_secret)
basic=$(printf '%s:%s' "$id" "$secret" | base64 -w0)
access=$(curl -s -u "$id:$secret" "$base/oauth2/token" -d grant_type=client_credentials | field access_token)
cat >"$out/token.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $basic"
wrk.body = "grant_type=client_credentials"
LUA
cat >"$out/introspect.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $basic"
wrk.body = "token=$access"
LUA
cat >"$out/bearer.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $access"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "scope=reports"
LUA
# Requests per second; a figure made of refusals is no figure, so any
# non-2xx answer stops the run.
rps() {
  local r
  r=$(wrk "$@")
  if grep -q 'Non-2xx' <<<"$r"; then
    echo "wrk $*: non-2xx answers" >&2
    exit 1
  fi
  awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$r"
}
echo "| connections | GET /validate req/s | POST /oauth2/token (client_credentials) tokens/s | POST /oauth2/introspect req/s | POST /oauth2/authorize-bearer req/s |"
echo "|---|---|---|---|---|"
for c in 16 64; do
  v=$(rps -t2 -c$c -d8s -H "Authorization: Bearer $token" "$base/validate")
  t=$(rps -t2 -c$c -d8s -s "$out/token.lua" "$base/oauth2/token")
  i=$(rps -t2 -c$c -d8s -s "$out/introspect.lua" "$base/oauth2/introspect")
  b=$(rps -t2 -c$c -d8s -s "$out/bearer.lua" "$base/oauth2/authorize-bearer")
  echo "| $c | $v | $t | $i | $b |"
done
