# Container image of ssm-association-exporter.
#
#   docker build --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" -t ssm-association-exporter:0.1.0 .
#   docker run --rm --read-only -p 9877:9877 -e AWS_REGION=eu-west-1 ssm-association-exporter:0.1.0
#
# Base image: the official Node.js image, Node.js 24 LTS ("Krypton") on Debian 12 bookworm, slim variant,
# pinned to a full version tag (node:<major>.<minor>.<patch>-bookworm-slim). Every stage uses the same tag;
# bump them together. For byte-for-byte reproducible builds, append the index digest (@sha256:...).
#
# Stages: build (all dependencies, tsc → dist/), prod-deps (production dependencies only) and the runtime
# stage, which holds nothing but dist/, the production node_modules/ and package.json.
#
# `npm run test:container` (test/container/run.sh) builds this file with buildah and runs the image with
# podman: its configuration, its contents, and the exporter against the simulator, read-only, as 65534.

FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
# The manifests first, so that the dependency layer is reused until they change.
# --ignore-scripts: tsc needs no install script of any dependency (only esbuild has one).
# The optional build secret npm-ca is a CA bundle that npm trusts besides Node.js' own CAs, for a registry
# reached through a TLS-intercepting proxy (buildah bud / docker build --secret id=npm-ca,src="$(npm config
# get cafile)"). A secret is mounted for its RUN step only and never lands in a layer; without it the
# mount is simply absent.
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=npm-ca \
    if [ -s /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi; \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src/ ./src/
RUN npm run build

FROM node:24.21.0-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
# No production dependency has an install script; dev-only ones (esbuild) are not installed at all.
RUN --mount=type=secret,id=npm-ca \
    if [ -s /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi; \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24.21.0-bookworm-slim AS runtime
# npm, npx and yarn of the base image stay: deleting them in a later layer would not make the image
# smaller. No stage of ours leaves an npm or Yarn cache here (test:container checks).
WORKDIR /app
ENV NODE_ENV=production
# V8's young generation at most 2 × 2 MiB semi-spaces instead of 2 × 16 MiB: the garbage of a poll (SDK
# responses, lines of text) is short-lived, and a smaller nursery keeps ~30 MiB less resident for a few
# percent more CPU (`npm run bench`, part E, measures the image's flags against none). The old generation
# is left to Node.js, which sizes it from the container's memory limit; append to NODE_OPTIONS, do not
# replace it, to add flags.
ENV NODE_OPTIONS="--max-semi-space-size=2"
# Owned by root and not writable by the user below: the app never writes under /app, so the image
# runs with a read-only root filesystem (docker run --read-only, readOnlyRootFilesystem: true).
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# package.json is needed at run time: "type": "module" for dist/*.js, and name and version for
# --version, the landing page and aws_ssm_exporter_build_info (src/version.ts reads ../package.json).
COPY package.json ./

# 65534:65534 is nobody:nogroup. Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 65534:65534
EXPOSE 9877

# Exec form: node is PID 1 and receives SIGTERM itself; the exporter handles SIGTERM and SIGINT
# (stops polling, lets scrapes finish, exits 0). It spawns no child processes, so there are no
# zombies to reap; `docker run --init` (tini) is optional.
# No HEALTHCHECK: Kubernetes uses its own probes (GET /healthz, /readyz), and an image-level check
# would have to guess the port, which --web.listen-address can change.
ENTRYPOINT ["node", "dist/main.js"]

# Last, so that a new revision changes only metadata, never a filesystem layer.
ARG VERSION=""
ARG REVISION=""
LABEL org.opencontainers.image.title="ssm-association-exporter" \
      org.opencontainers.image.description="Prometheus exporter for AWS Systems Manager State Manager associations" \
      org.opencontainers.image.source="https://github.com/ssm-association-exporter/ssm-association-exporter" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/node:24.21.0-bookworm-slim"
# Reported by --version, the landing page and aws_ssm_exporter_build_info{revision}.
ENV SSM_EXPORTER_BUILD_REVISION=${REVISION}
