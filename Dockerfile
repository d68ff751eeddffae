# syntax=docker/dockerfile:1
# The rerank-batch runner: `docker build -t rerank-batch .`, then `docker run --rm rerank-batch --help`.
# The entrypoint is the CLI, so the arguments are a command line: `worker --redis redis://redis:6379`,
# `run --config /config/job.yaml`, `dashboard ...` (see docker-compose.yml for all of them together).
#
# Node 20 (package.json engines: >=20.19). For reproducible builds pin the base by digest:
#   docker build --build-arg NODE_IMAGE=node:20-bookworm-slim@sha256:... .
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile the TypeScript (needs the dev dependencies: typescript, @types/*) ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's own `prepare` script runs `tsc`, and the sources are not copied yet
# (copying them after the install keeps this layer cached while only sources change). Nothing here loads
# the native dependencies, so their install scripts are not needed in this stage either.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY jobs ./jobs
COPY workers ./workers
# tsconfig.build.json also lists bench/, which .dockerignore leaves out: a benchmark is no part of the image.
RUN npm run build

# ---- runtime: production dependencies and the compiled files only ----
FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="rerank-batch" \
      org.opencontainers.image.description="Offline batch reranking on BullMQ/Redis: run, submit, worker, collect, dashboard" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# `npm ci --omit=dev --ignore-scripts`, and why --ignore-scripts is safe:
# - without it npm runs the root package's `prepare` script (`npm run build`, i.e. tsc), and tsc is a dev
#   dependency, absent here: the install would fail. The compiled files come from the build stage instead.
# - the only dependencies with install scripts are lmdb (the score cache) and msgpackr-extract (optional,
#   through bullmq's msgpackr); both scripts are `node-gyp-build-optional-packages`, which only checks
#   that a prebuilt binary loads and compiles one when none does. Their prebuilt binaries ship in
#   optional per-platform packages (@lmdb/lmdb-linux-x64, @msgpackr-extract/msgpackr-extract-linux-x64,
#   and the -arm64 ones), which npm installs by os/cpu from the lockfile with or without scripts, and
#   node-gyp-build-optional-packages finds them when the module is loaded. Bookworm is glibc, which is
#   what those binaries are built for. (package.json `allowScripts` names msgpackr-extract for the tools
#   that honour it; npm itself does not read it.)
# The RUN after it proves the point at build time: it opens an LMDB database and loads msgpackr-extract,
# so an image whose native modules do not load fails to build instead of failing at its first run.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && node --input-type=module -e " \
      import { open } from 'lmdb'; \
      import { createRequire } from 'node:module'; \
      const db = open({ path: '/tmp/native-check' }); \
      await db.put('k', 1); \
      if (db.get('k') !== 1) throw new Error('lmdb: value not read back'); \
      await db.close(); \
      const extract = createRequire(import.meta.url)('msgpackr-extract'); \
      if (typeof extract.extractStrings !== 'function') throw new Error('msgpackr-extract: native module not loaded'); \
    " \
 && rm -rf /tmp/native-check
# What the published package holds (package.json "files"): bin/rerank-batch.js loads dist/src/cli/main.js;
# dist/src imports dist/jobs and dist/workers, and starts dist/src/plan/plan-ahead-thread.js as a worker
# thread. Nothing else is read at run time (the example data is mounted, see docker-compose.yml).
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/jobs ./dist/jobs
COPY --from=build /app/dist/workers ./dist/workers
COPY bin/rerank-batch.js ./bin/rerank-batch.js
# Writable places for the unprivileged user: /out for outputs, and the score cache under its home
# (XDG default, ~/.cache/rerank-batch/scores). A named volume mounted on either starts with this owner.
RUN mkdir -p /out /home/node/.cache/rerank-batch \
 && chown node:node /out /home/node/.cache /home/node/.cache/rerank-batch
# The node image's unprivileged user (uid 1000); the code under /app stays owned by root, read-only to it.
USER node
# No HEALTHCHECK here: what is healthy depends on the command (a worker has no HTTP endpoint unless it
# serves --metrics-port, a `run` ends by itself). docker-compose.yml checks each service its own way.
ENTRYPOINT ["node", "bin/rerank-batch.js"]
CMD ["worker"]
