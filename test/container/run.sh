#!/usr/bin/env bash
# npm run test:container — builds the Dockerfile for real and runs the image, without a Docker engine:
# buildah builds it, podman runs it (Debian's buildah, podman and runc packages).
#
#   1. tools: installs buildah, podman and runc (and mmdebstrap, promtool) with apt-get where they are
#      missing and this is root; a private containers.conf and vfs storage under $STORE, reused by later runs;
#   2. base images: every FROM image of the Dockerfile is used from local storage, else pulled; where no
#      container registry is reachable, test/container/stand-in-base.sh builds a local STAND-IN under the
#      very same name from the official image's ingredients (a Debian root filesystem from Debian's archive
#      plus the official Node.js binary from the npm registry). The stand-in is used ONLY where the registry
#      is unreachable; anywhere else the build uses the official image;
#   3. build: buildah bud, with the host npm's CA bundle as a build secret (never in a layer);
#   4. inspect: the image's configuration (numeric non-root user, entrypoint, port, labels, no
#      HEALTHCHECK) and contents (only dist/, production node_modules/ and package.json under /app; no
#      sources, dev dependencies, simulator, demo, npm or Yarn caches); prints the image's size;
#   5. run: read-only, as 65534:65534, on the host network, against the simulator (dist-dev/, on
#      127.0.0.1): /readyz, /metrics (promtool check metrics), SIGTERM → exit 0 within 5 s.
#
# Where the tools cannot be installed or cannot run (not root, no apt-get, user namespaces refused), it
# prints SKIP with the reason and exits 0; with CI=true or SSM_EXPORTER_REQUIRE_TOOLS=1 that fails instead.
# Needs the repository's node_modules (npm ci) for the host build of the simulator.
#
# Environment: SSM_EXPORTER_CONTAINER_STORE (default /var/tmp/ssm-exporter-containers, with -<uid> when
# not root): storage and config of buildah and podman. The built image is kept as localhost/ssm-association-exporter:test.
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGE="localhost/ssm-association-exporter:test"
default_store=/var/tmp/ssm-exporter-containers
[ "$(id -u)" = 0 ] || default_store="$default_store-$(id -u)"
STORE="${SSM_EXPORTER_CONTAINER_STORE:-$default_store}"
REGION="eu-west-1"
ASSOCIATIONS=300
STOP_LIMIT_MS=5000

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'test:container: FAIL: %s\n' "$*" >&2; exit 1; }
tools_required() { [ "${CI:-}" = "true" ] || [ "${SSM_EXPORTER_REQUIRE_TOOLS:-}" = "1" ]; }
skip() {
  if tools_required; then fail "$* (tools are required: CI=true or SSM_EXPORTER_REQUIRE_TOOLS=1)"; fi
  printf 'test:container: SKIP: %s\n' "$*"
  exit 0
}
now_ms() { date +%s%3N; }
seconds_since() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

work="$(mktemp -d)"
container=""
simulator_pid=""
cleanup() {
  if [ -n "$container" ]; then podman rm --force --time 0 "$container" >/dev/null 2>&1 || true; fi
  if [ -n "$simulator_pid" ] && kill -0 "$simulator_pid" 2>/dev/null; then kill "$simulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

timings=()
started_ms="$(now_ms)"

# ---------------------------------------------------------------------------------------------------
step "tools"
apt_updated=0
# apt_install <package>...: only as root with apt-get; keeps packages from starting services (as .ci/run).
apt_install() {
  [ "$(id -u)" = 0 ] || return 1
  command -v apt-get >/dev/null || return 1
  local policy=/usr/sbin/policy-rc.d had_policy=0 rc=0
  [ -e "$policy" ] && had_policy=1
  if [ "$had_policy" -eq 0 ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"; fi
  echo "apt-get install --no-install-recommends $*"
  if [ "$apt_updated" -eq 0 ]; then apt-get update -qq >"$work/apt.log" 2>&1 && apt_updated=1 || rc=$?; fi
  if [ "$rc" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$work/apt.log" 2>&1 || rc=$?
  fi
  if [ "$had_policy" -eq 0 ]; then rm -f "$policy"; fi
  if [ "$rc" -ne 0 ]; then tail -n 5 "$work/apt.log" >&2; fi
  return "$rc"
}
# ensure <command> <package>: the command exists afterwards, or returns 1.
ensure() {
  command -v "$1" >/dev/null && return 0
  apt_install "$2" || return 1
  command -v "$1" >/dev/null
}
why_not_installable() {
  if [ "$(id -u)" != 0 ]; then echo "not root"; elif ! command -v apt-get >/dev/null; then echo "no apt-get"; else echo "apt-get install failed"; fi
}

missing=()
for tool in buildah podman runc; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}" || skip "${missing[*]} missing and cannot be installed ($(why_not_installable))"
fi

# A private configuration: vfs storage (no overlay mounts needed), runc (crun is refused here), cgroupfs,
# and no default ulimits (refused here too). Every buildah/podman call below uses it.
if ! mkdir -p "$STORE" 2>/dev/null || [ ! -w "$STORE" ]; then skip "cannot write to the container storage folder $STORE"; fi
cat >"$STORE/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$STORE/storage"
runroot = "$STORE/run"
EOF
cat >"$STORE/containers.conf" <<'EOF'
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
export CONTAINERS_STORAGE_CONF="$STORE/storage.conf" CONTAINERS_CONF="$STORE/containers.conf"
buildah() { command buildah --storage-driver=vfs "$@"; }
podman() { command podman --storage-driver=vfs --runtime=runc --cgroup-manager=cgroupfs "$@"; }
export -f buildah podman  # for stand-in-base.sh too
# For `timeout`, which runs programs, not functions.
buildah_bin=("$(type -P buildah)" --storage-driver=vfs)
podman_bin=("$(type -P podman)" --storage-driver=vfs --runtime=runc --cgroup-manager=cgroupfs)

# Can they run here at all? (A working container needs user namespaces when not root, mounts, ...)
if ! probe="$(buildah from --pull=never scratch 2>&1)"; then
  skip "buildah cannot run here: $( (grep -m 1 '^Error' <<<"$probe" || tail -n 1 <<<"$probe") | cut -c1-200)"
fi
buildah rm "$probe" >/dev/null
echo "$(command buildah --version); $(command podman --version); $(command runc --version | head -n 1); storage: $STORE (vfs)"

promtool_ok=1
if ! ensure promtool prometheus; then
  tools_required && fail "promtool (Debian package prometheus) is missing and cannot be installed ($(why_not_installable))"
  promtool_ok=0
  echo "promtool is missing and cannot be installed ($(why_not_installable)): the promtool check will be skipped"
fi

# ---------------------------------------------------------------------------------------------------
step "base images"
# FROM lines: skip earlier stage names and scratch; a FROM with a build argument is not resolvable here.
mapfile -t bases < <(awk '
  toupper($1) == "FROM" {
    i = 2; while ($i ~ /^--/) i++
    ref = $i; name = (toupper($(i+1)) == "AS") ? tolower($(i+2)) : ""
    if (!(tolower(ref) in stages) && ref != "scratch") print ref
    if (name != "") stages[name] = 1
  }' Dockerfile | sort -u)
[ "${#bases[@]}" -gt 0 ] || fail "the Dockerfile has no FROM image"
qualified() { # docker.io's short names, as docker resolves them
  local ref="$1" first="${1%%/*}"
  if [[ "$ref" != */* ]]; then echo "docker.io/library/$ref"
  elif [[ "$first" != *.* && "$first" != *:* && "$first" != localhost ]]; then echo "docker.io/$ref"
  else echo "$ref"; fi
}
base_sizes=()
for base in "${bases[@]}"; do
  [[ "$base" != *'$'* ]] || fail "FROM $base uses a build argument; this script resolves literal images only"
  ref="$(qualified "$base")"
  if podman image exists "$ref"; then
    echo "$ref: in local storage$( [ "$(podman image inspect --format '{{index .Labels "ssm-exporter.stand-in"}}' "$ref")" = true ] && echo ' (a local stand-in: no registry was reachable when it was made)')"
  else
    t0="$(now_ms)"
    if pull_out="$(timeout 120 "${buildah_bin[@]}" pull --quiet --retry 0 "$ref" 2>&1)"; then
      echo "$ref: pulled from its registry in $(seconds_since "$t0") s"
    else
      reason="$( (grep -m 1 '^Error' <<<"$pull_out" || tail -n 1 <<<"$pull_out") | cut -c1-200)"
      # A registry that answers decides: a tag or repository it does not have is an error, never a stand-in.
      if grep -Eqi 'manifest unknown|not found|unauthorized|access to the resource is denied' <<<"$pull_out"; then
        fail "the registry has no $ref: $reason"
      fi
      echo "$ref: cannot be pulled (${reason:-timed out after 120 s})"
      echo "$ref: no registry reachable, so building a local stand-in from Debian's archive and the npm registry"
      ensure mmdebstrap mmdebstrap || skip "the stand-in for $ref needs mmdebstrap, which is missing and cannot be installed ($(why_not_installable))"
      t0="$(now_ms)"
      bash test/container/stand-in-base.sh "$ref" >"$work/stand-in.log" 2>&1 || { tail -n 30 "$work/stand-in.log" >&2; fail "could not build a stand-in for $ref"; }
      grep '^stand-in: ' "$work/stand-in.log"
      timings+=("stand-in base image: $(seconds_since "$t0") s")
    fi
  fi
  base_sizes+=("$ref $(podman image inspect --format '{{.Size}}' "$ref")")
done

# ---------------------------------------------------------------------------------------------------
step "build: buildah bud"
version="$(node -p 'require("./package.json").version')"
name="$(node -p 'require("./package.json").name')"
revision="container-test-$(git rev-parse --short HEAD 2>/dev/null || echo norepo)"
# npm inside the build must trust what the host's npm trusts (e.g. a TLS-intercepting proxy's CA).
build_secret=()
cafile="$(npm config get cafile 2>/dev/null || true)"
if [ -z "$cafile" ] || [ "$cafile" = null ] || [ "$cafile" = undefined ]; then cafile="${NODE_EXTRA_CA_CERTS:-}"; fi
if [ -n "$cafile" ] && [ -r "$cafile" ]; then
  build_secret=(--secret "id=npm-ca,src=$cafile")
  echo "npm CA bundle for the build (a build secret, in no layer): $cafile"
fi
t0="$(now_ms)"
# --format docker keeps HEALTHCHECK, as docker build does (OCI configs cannot carry one), so the check below sees it.
if ! buildah bud --isolation=chroot --network=host --pull=never --format docker --layers=false \
  "${build_secret[@]}" --build-arg "VERSION=$version" --build-arg "REVISION=$revision" \
  --tag "$IMAGE" . >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  fail "buildah bud failed"
fi
grep -E '^\[[0-9]+/[0-9]+\] STEP [0-9]+/[0-9]+: (FROM|RUN)|^added [0-9]+ packages|^Successfully tagged' "$work/build.log" | cut -c1-160
timings+=("build: $(seconds_since "$t0") s")

# ---------------------------------------------------------------------------------------------------
step "inspect: image configuration"
podman image inspect "$IMAGE" >"$work/inspect.json"
# shellcheck disable=SC2016 # JavaScript, not shell
node - "$work/inspect.json" "$version" "$revision" <<'EOF' || fail "the image's configuration is wrong (see above)"
const fs = require("fs");
const [file, version, revision] = process.argv.slice(2);
const [image] = JSON.parse(fs.readFileSync(file, "utf8"));
const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
const c = image.Config ?? {};
const problems = [];
const expect = (what, actual, wanted) => {
  if (JSON.stringify(actual) !== JSON.stringify(wanted)) problems.push(`${what} is ${JSON.stringify(actual)}, expected ${JSON.stringify(wanted)}`);
};
expect("User", c.User, "65534:65534");
expect("Entrypoint", c.Entrypoint, ["node", "dist/main.js"]);
// A CMD inherited from the base (node's is ["node"]) would become an argument of the exporter.
expect("Cmd", c.Cmd ?? [], []);
expect("ExposedPorts", Object.keys(c.ExposedPorts ?? {}), ["9877/tcp"]);
expect("WorkingDir", c.WorkingDir, "/app");
const env = Object.fromEntries((c.Env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
expect("ENV NODE_ENV", env.NODE_ENV, "production");
expect("ENV SSM_EXPORTER_BUILD_REVISION", env.SSM_EXPORTER_BUILD_REVISION, revision);
const labels = c.Labels ?? {};
expect("label org.opencontainers.image.title", labels["org.opencontainers.image.title"], pkg.name);
expect("label org.opencontainers.image.version", labels["org.opencontainers.image.version"], version);
expect("label org.opencontainers.image.revision", labels["org.opencontainers.image.revision"], revision);
expect("label org.opencontainers.image.licenses", labels["org.opencontainers.image.licenses"], pkg.license);
expect("label org.opencontainers.image.description", labels["org.opencontainers.image.description"], pkg.description);
expect("label org.opencontainers.image.source", labels["org.opencontainers.image.source"], pkg.repository.url.replace(/^git\+/, "").replace(/\.git$/, ""));
if (c.Healthcheck !== undefined || image.HealthCheck !== undefined || image.Healthcheck !== undefined) problems.push("the image has a HEALTHCHECK");
for (const p of problems) console.log(`PROBLEM: ${p}`);
if (problems.length > 0) process.exit(1);
console.log(`User ${c.User}; Entrypoint ${JSON.stringify(c.Entrypoint)}, no Cmd; port ${Object.keys(c.ExposedPorts).join(",")}; ` +
  `WorkingDir ${c.WorkingDir}; NODE_ENV=production; version ${version}, revision ${revision}; no HEALTHCHECK` +
  (labels["ssm-exporter.stand-in"] === "true" ? "; built on the local stand-in base (label ssm-exporter.stand-in=true)" : ""));
EOF

step "inspect: image contents"
node_tag="$(sed -nE 's/^FROM[[:space:]]+(--[^[:space:]]+[[:space:]]+)*([^[:space:]]*\/)?node:([0-9]+\.[0-9]+\.[0-9]+)-.*/\3/p' Dockerfile | head -n 1)"
[ -n "$node_tag" ] || fail "cannot read the Node.js version from the Dockerfile's FROM node:<x.y.z>-... tag"
# Root, to read every folder; read-only root filesystem and no temp mounts, so the check changes nothing.
podman run --rm --pull=never --network=host --read-only --read-only-tmpfs=false --user 0:0 --entrypoint node \
  --volume "$PWD/test/container/image-contents.ts:/check/image-contents.ts:ro" \
  --volume "$PWD/package-lock.json:/check/package-lock.json:ro" \
  "$IMAGE" --no-warnings /check/image-contents.ts /check/package-lock.json "v$node_tag" \
  || fail "the image holds something it must not, or lacks a production dependency (see above)"
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
image_size="$(podman image inspect --format '{{.Size}}' "$IMAGE")"
echo "image size: $(mib "$image_size") ($IMAGE, uncompressed)"
for entry in "${base_sizes[@]}"; do
  echo "base image: $(mib "${entry##* }") (${entry% *}), so the exporter adds $(mib "$((image_size - ${entry##* }))")"
done

step "inspect: --version, as the image's user"
version_line="$(podman run --rm --pull=never --network=none --read-only --read-only-tmpfs=false --user 65534:65534 "$IMAGE" --version)" \
  || fail "--version failed in the image"
echo "$version_line"
[ "$version_line" = "$name $version (revision $revision, Node.js v$node_tag)" ] \
  || fail "--version printed '$version_line', expected '$name $version (revision $revision, Node.js v$node_tag)'"

# ---------------------------------------------------------------------------------------------------
step "run: the image against the simulator"
[ -d node_modules ] || fail "node_modules is missing: run npm ci first (the simulator is built on the host)"
# Only the development tools: the exporter under test is the image's own build.
npm run build:dev --silent
[ -f dist-dev/simulator/cli.js ] || fail "npm run build:dev made no dist-dev/simulator/cli.js"
node dist-dev/simulator/cli.js --host 127.0.0.1 --port 0 --regions "$REGION" --associations "$ASSOCIATIONS" \
  >"$work/simulator.out" 2>"$work/simulator.err" &
simulator_pid=$!
for _ in $(seq 100); do grep -q '^http' "$work/simulator.out" && break; kill -0 "$simulator_pid" 2>/dev/null || break; sleep 0.1; done
simulator_url="$(grep -m 1 '^http' "$work/simulator.out" || true)"
[ -n "$simulator_url" ] || { cat "$work/simulator.err" >&2; fail "the simulator printed no address"; }
echo "simulator: $simulator_url ($ASSOCIATIONS associations in $REGION), pid $simulator_pid"

port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
base_url="http://127.0.0.1:$port"
# Hardened as in Kubernetes (helm chart): read-only root filesystem without even a /tmp, non-root numeric
# user, no capabilities, no privilege escalation.
run_flags=(--read-only --read-only-tmpfs=false --user 65534:65534 --cap-drop=ALL --security-opt=no-new-privileges)
t0="$(now_ms)"
container="$(podman run --detach --pull=never --network=host "${run_flags[@]}" \
  --env AWS_ENDPOINT_URL_SSM="$simulator_url" --env AWS_ENDPOINT_URL_STS="$simulator_url" \
  --env AWS_ACCESS_KEY_ID=AKIDCONTAINERTEST --env AWS_SECRET_ACCESS_KEY=container-test-secret \
  --env AWS_REGION="$REGION" --env AWS_EC2_METADATA_DISABLED=true \
  "$IMAGE" --web.listen-address="127.0.0.1:$port" --poll.interval=1h)" || fail "podman run failed"
echo "container ${container:0:12}: ${run_flags[*]}, listening on $base_url"

http_get() { node -e 'fetch(process.argv[1]).then(async r=>console.log(r.status, await r.text()),e=>{console.log("000",e.cause?.code??e.message)})' "$1"; }
wait_for() { # description, url, regex on "<status> <body>", seconds
  local deadline=$((SECONDS + $4)) answer
  while :; do
    [ "$(podman inspect --format '{{.State.Running}}' "$container")" = true ] || { podman logs "$container" >&2; fail "the container exited while waiting for $1"; }
    answer="$(http_get "$2")"
    if grep -Eq -- "$3" <<<"$answer"; then echo "ok: $1"; return 0; fi
    [ "$SECONDS" -lt "$deadline" ] || { podman logs "$container" >&2; fail "no $1 after $4 s (last answer: ${answer:0:200})"; }
    sleep 0.2
  done
}
wait_for "/healthz 200" "$base_url/healthz" '^200 ' 30
wait_for "/readyz 200 (first poll finished)" "$base_url/readyz" '^200 ' 30
timings+=("container start to ready: $(seconds_since "$t0") s")

metrics="$work/metrics.txt"
node -e 'fetch(process.argv[1]).then(async r=>{if(r.status!==200)process.exit(1);process.stdout.write(await r.text())})' "$base_url/metrics" >"$metrics" \
  || fail "GET /metrics failed"
grep -E '^aws_ssm_exporter_(up|associations|build_info)[{ ]' "$metrics" | cut -c1-200
grep -Eq "^aws_ssm_exporter_up\{[^}]*region=\"$REGION\"[^}]*\} 1$" "$metrics" || fail "no aws_ssm_exporter_up 1 for $REGION"
grep -Eq "^aws_ssm_exporter_associations\{[^}]*region=\"$REGION\"[^}]*\} $ASSOCIATIONS$" "$metrics" || fail "aws_ssm_exporter_associations is not $ASSOCIATIONS for $REGION"
info_series="$(grep -c '^aws_ssm_association_info{' "$metrics" || true)"
[ "$info_series" -eq "$ASSOCIATIONS" ] || fail "$info_series aws_ssm_association_info series, expected $ASSOCIATIONS"
grep -q "revision=\"$revision\"" "$metrics" || fail "aws_ssm_exporter_build_info does not carry revision $revision"
grep -q "nodejs_version=\"v$node_tag\"" "$metrics" || fail "aws_ssm_exporter_build_info does not say Node.js v$node_tag"
echo "/metrics: $(wc -l <"$metrics") lines, $info_series association info series, build_info: revision $revision, Node.js v$node_tag"
if [ "$promtool_ok" -eq 1 ]; then
  promtool check metrics <"$metrics" || fail "promtool check metrics rejects /metrics"
  echo "promtool check metrics: ok"
else
  echo "promtool check metrics: SKIPPED (no promtool)"
fi

# SIGTERM: the exporter must exit 0 within 5 s, after logging "stopped".
t0="$(now_ms)"
podman kill --signal TERM "$container" >/dev/null
if ! exit_code="$(timeout 15 "${podman_bin[@]}" wait "$container")"; then
  podman kill --signal KILL "$container" >/dev/null 2>&1 || true
  fail "the container still runs 15 s after SIGTERM"
fi
stop_ms=$(($(now_ms) - t0))
podman logs "$container" >"$work/exporter.log" 2>&1
echo "SIGTERM → exit code $exit_code after $stop_ms ms; last log lines:"
tail -n 3 "$work/exporter.log" | cut -c1-200
[ "$exit_code" = 0 ] || fail "the exporter exited $exit_code after SIGTERM, expected 0"
[ "$stop_ms" -lt "$STOP_LIMIT_MS" ] || fail "the exporter took $stop_ms ms to stop after SIGTERM (limit $STOP_LIMIT_MS ms)"
grep -q '"msg":"stopped"' "$work/exporter.log" || fail "no \"stopped\" log line after SIGTERM"
# Every line the exporter wrote is a JSON log line at info level: no warning (the SDK's Node.js warning
# included), nothing unstructured.
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
  const bad = lines.filter((l) => { try { return JSON.parse(l).level !== "info"; } catch { return true; } });
  if (bad.length) { console.error(bad.slice(0, 5).join("\n")); process.exit(1); }
' "$work/exporter.log" || fail "the exporter logged something other than info lines (see above)"
podman rm "$container" >/dev/null
container=""
timings+=("stop after SIGTERM: $stop_ms ms")

# Removes the images that earlier builds left untagged (vfs keeps a full copy of every layer).
podman image prune --force >/dev/null 2>&1 || true

step "summary"
for t in "${timings[@]}"; do echo "$t"; done
echo "image: $IMAGE, $(mib "$image_size")"
printf '\ntest:container: OK (%s %s, built and run in %s s)\n' "$name" "$version" "$(seconds_since "$started_ms")"
