#!/usr/bin/env bash
# Runs the container image's runtime stage as far as that is possible without a Docker engine:
# production dependencies only (npm ci --omit=dev, as the Dockerfile's prod-deps stage), dist/ from
# the build, package.json, NODE_ENV=production, a clean environment, an app folder that is not
# writable, and, when this runs as root, the image's user 65534:65534. Then it checks --version,
# --help, that the exporter starts, serves /healthz, /readyz and /metrics against an unreachable
# AWS endpoint, and exits 0 on SIGTERM, and that nothing was written to the app folder.
#
#   bash .ci/container-smoke.sh [node-binary]     # default: node on PATH
set -euo pipefail
cd "$(dirname "$0")/.."

node_arg="${1:-node}"
node_bin="$(command -v "$node_arg" || true)"
if [ -z "$node_bin" ] || [ ! -x "$node_bin" ]; then echo "container-smoke: no node binary at '$node_arg'" >&2; exit 1; fi
node_bin="$(cd "$(dirname "$node_bin")" && pwd)/$(basename "$node_bin")"

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'container-smoke: FAIL: %s\n' "$*" >&2; exit 1; }

work="$(mktemp -d)"
exporter_pid=""
cleanup() {
  if [ -n "$exporter_pid" ] && kill -0 "$exporter_pid" 2>/dev/null; then kill -KILL "$exporter_pid" 2>/dev/null || true; fi
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
app="$work/app"          # the image's /app
tmp="$work/tmp"          # the image's /tmp (an emptyDir in the Helm chart)
mkdir -p "$app" "$tmp"
chmod 1777 "$tmp"

version="$("$node_bin" -p 'require("./package.json").version')"
name="$("$node_bin" -p 'require("./package.json").name')"
revision="smoke-$(git rev-parse --short HEAD 2>/dev/null || echo norepo)"
echo "package: $name $version; node: $node_bin ($("$node_bin" --version)); work dir: $work"

step "build stage: npm run build"
[ -d node_modules ] || fail "node_modules is missing: run npm ci first"
npm run build --silent
[ -f dist/main.js ] || fail "the build made no dist/main.js"

step "prod-deps stage: npm ci --omit=dev --ignore-scripts in a fresh folder"
cp package.json package-lock.json "$app/"
(cd "$app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
# Lockfile entries marked dev must not be installed; everything else of the lockfile must be.
# shellcheck disable=SC2016 # JavaScript, not shell
(cd "$app" && "$node_bin" -e '
  const fs = require("fs");
  const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
  const dev = [], missing = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === "" || entry.optional) continue;
    const present = fs.existsSync(path);
    if (entry.dev && present) dev.push(path);
    if (!entry.dev && !present) missing.push(path);
  }
  if (dev.length) { console.error("dev dependencies installed: " + dev.slice(0, 10).join(", ")); process.exit(1); }
  if (missing.length) { console.error("production dependencies missing: " + missing.slice(0, 10).join(", ")); process.exit(1); }
  console.log(`node_modules: ${fs.readdirSync("node_modules").length} top-level entries, no dev dependency`);
')

step "runtime stage: /app = dist/ + node_modules/ + package.json, read-only"
rm "$app/package-lock.json"
cp -R dist "$app/dist"
contents="$(cd "$app" && find . -mindepth 1 -maxdepth 1 -printf '%P ' | tr ' ' '\n' | sort | tr '\n' ' ')"
echo "$contents"
[ "$contents" = "dist node_modules package.json " ] || fail "unexpected contents of the app folder: $contents"
chmod -R a-w "$app"
manifest() { (cd "$app" && find . -printf '%p %s %T@ %m\n' | sort); }
manifest > "$work/manifest.before"

# The image's user. As root, a-w alone stops nothing, so run as 65534:65534 like the image does.
run_as=()
if [ "$(id -u)" = 0 ]; then
  command -v setpriv >/dev/null || fail "running as root needs setpriv (util-linux) to drop to 65534:65534"
  run_as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  if ! "${run_as[@]}" "$node_bin" --version >/dev/null 2>&1; then
    # The node binary sits where uid 65534 cannot reach it (e.g. a private temp folder): use a copy.
    mkdir -p "$work/bin"
    cp "$node_bin" "$work/bin/node"
    chmod 755 "$work/bin" "$work/bin/node"
    node_bin="$work/bin/node"
  fi
  echo "running as uid:gid 65534:65534 (setpriv), the image's USER"
else
  echo "running as uid $(id -u), which cannot write to the app folder"
fi

# A container's environment: nothing from this machine's, NODE_ENV=production and the image's ENV.
container_env=(env -i "PATH=/usr/local/bin:/usr/bin:/bin" "HOME=/nonexistent" "TMPDIR=$tmp"
  "NODE_ENV=production" "SSM_EXPORTER_BUILD_REVISION=$revision")
exporter() { (cd "$app" && exec "${container_env[@]}" "${run_as[@]}" "$node_bin" dist/main.js "${exporter_args[@]}"); }

step "node dist/main.js --version"
exporter_args=(--version)
out="$(exporter)" || fail "--version exited $?"
echo "$out"
[[ "$out" == "$name $version (revision $revision, Node.js v"* ]] || fail "--version printed '$out', expected '$name $version (revision $revision, ...'"

step "node dist/main.js --help"
exporter_args=(--help)
out="$(exporter)" || fail "--help exited $?"
echo "$out" | head -n 3; echo "..."
grep -q -- "--web.listen-address" <<<"$out" || fail "--help does not mention --web.listen-address"

step "start against an unreachable AWS endpoint, then SIGTERM"
port="$("$node_bin" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
base="http://127.0.0.1:$port"
# Loopback only: port 9 (discard) is closed, so every AWS call fails fast and nothing leaves the machine.
exporter_args=(--web.listen-address="127.0.0.1:$port" --aws.region=us-east-1)
exporter_env=(AWS_ENDPOINT_URL_SSM=http://127.0.0.1:9 AWS_ENDPOINT_URL_STS=http://127.0.0.1:9
  AWS_ACCESS_KEY_ID=AKIDSMOKETEST AWS_SECRET_ACCESS_KEY=smoke-test-secret AWS_EC2_METADATA_DISABLED=true)
log="$work/exporter.log"
(cd "$app" && exec "${container_env[@]}" "${exporter_env[@]}" "${run_as[@]}" "$node_bin" dist/main.js "${exporter_args[@]}") >"$log" 2>&1 &
exporter_pid=$!
echo "exporter pid $exporter_pid on $base"

# GET url → "<status> <body>"; curl may not exist, node's fetch does.
http_get() { "$node_bin" -e 'fetch(process.argv[1]).then(async r=>console.log(r.status, await r.text()),e=>{console.log("000",e.cause?.code??e.message)})' "$1"; }
wait_for() { # description, url, regex on "<status> <body>", seconds
  local deadline=$((SECONDS + $4)) answer
  while :; do
    kill -0 "$exporter_pid" 2>/dev/null || { cat "$log" >&2; fail "the exporter exited while waiting for $1"; }
    answer="$(http_get "$2")"
    if grep -Eq -- "$3" <<<"$answer"; then echo "ok: $1"; return 0; fi
    [ "$SECONDS" -lt "$deadline" ] || { cat "$log" >&2; fail "no $1 after $4 s (last answer: ${answer:0:200})"; }
    sleep 0.2
  done
}
wait_for "/healthz 200" "$base/healthz" '^200 ' 15
# Readiness means serving: ready once the first poll has finished, here by failing (nothing listens).
wait_for "/readyz 200 (first poll finished, failed)" "$base/readyz" '^200 ' 20
# STS is unreachable too, so the region's account is unknown: it exports no per-target series, only this count.
wait_for "/metrics with aws_ssm_exporter_unidentified_targets 1" "$base/metrics" 'aws_ssm_exporter_unidentified_targets 1' 20
metrics="$(http_get "$base/metrics")"
grep -E '^aws_ssm_exporter_(up|build_info|api_requests_total|unidentified_targets)\b' <<<"$metrics" || true
grep -q "revision=\"$revision\"" <<<"$metrics" || fail "build_info does not carry revision $revision"

kill -TERM "$exporter_pid"
# The exporter promises to exit within 5 s of SIGTERM; give it 10 before calling it hung.
for _ in $(seq 100); do kill -0 "$exporter_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$exporter_pid" 2>/dev/null; then kill -KILL "$exporter_pid"; cat "$log" >&2; fail "still running 10 s after SIGTERM"; fi
rc=0
wait "$exporter_pid" || rc=$?
exporter_pid=""
echo "exit code after SIGTERM: $rc"
echo "log (last lines):"; tail -n 5 "$log" | cut -c1-240
[ "$rc" -eq 0 ] || { cat "$log" >&2; fail "the exporter exited $rc after SIGTERM, expected 0"; }
grep -q '"msg":"stopped"' "$log" || fail "no \"stopped\" log line after SIGTERM"

step "nothing was written to the app folder"
manifest > "$work/manifest.after"
diff "$work/manifest.before" "$work/manifest.after" || fail "the app folder changed while the exporter ran"
echo "app folder unchanged ($(wc -l <"$work/manifest.after") entries); files written to TMPDIR: $(find "$tmp" -mindepth 1 | wc -l)"

printf '\ncontainer-smoke: OK (%s, Node.js %s)\n' "$name $version" "$("$node_bin" --version)"
