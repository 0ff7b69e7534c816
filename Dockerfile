# syntax=docker/dockerfile:1
# The injector image: built with Node 22, run on distroless Node 22 as UID 65532, with
# production dependencies only. Build: docker build -t sidecar-injector:0.1.0 .

# Compiles TypeScript to dist/ and bundles the CLI into dist/bundle/ (scripts/bundle-image.js).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; built below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
COPY scripts ./scripts
RUN npm run build

# Production dependencies only, in a clean folder (no compiler, no test tools).
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# No shell, no package manager; the nonroot tag runs as 65532 already, USER makes it explicit.
FROM gcr.io/distroless/nodejs22-debian13:nonroot
WORKDIR /app
ENV NODE_ENV=production
# A V8 old-space limit that fits deploy/'s 256Mi memory limit with the bodies the
# server may hold: 32 in flight x 3 MiB + 112 MiB = 208 MiB (README "Limits"). Without
# it V8 sizes its heap from the node's memory and grows past the container's limit.
# The young generation is capped at 2 MiB semi-spaces: under load V8's default (16 MiB)
# fills ~30 MiB of RSS with garbage between scavenges (heap 49 MiB total, 13 MiB live).
# Measured with bench/heap-flags.js (205,000 requests standalone, 3 interleaved rounds,
# this bundled program, one malloc arena): RSS 77.0-78.4 MiB with 2 MiB semi-spaces
# against 81.2-83.9 with 4 MiB, at 0.85-1.01x the saturation throughput and 0.89-1.19x
# the p99 at 500 req/s; in six shorter rounds (25,000 requests) 4 MiB's p99 at 500 req/s
# was 0.79-1.12x 2 MiB's (median 0.93x), its throughput 0.90-1.36x (median 1.06x).
# BENCHMARKS.md has its own run's figures for the image's options.
# Earlier runs, with the unbundled program: 16 MiB -> 4 MiB took the RSS after 25,000
# requests from 113 to 87 MiB with no loss beyond the noise; 2 MiB then reached 78.4/79.5
# MiB at 16-23 % less throughput. Not taken: --optimize-for-size (5 MiB less, 0.54-1.10x
# the throughput), --single-threaded-gc (nothing saved), --bytecode-old-age=1
# --flush-baseline-code (1.6 MiB less heap live, p99 at 1000 req/s 1.46-1.58x).
# bench/ runs serve, and its baselines, with whatever NODE_OPTIONS and other ENV this file
# sets, and runs the ENTRYPOINT's program.
ENV NODE_OPTIONS="--max-old-space-size=112 --max-semi-space-size=2"
# One malloc arena: glibc gives each thread that allocates (V8's GC and compiler workers,
# libuv's pool writing the log) an arena of its own, and each keeps freed memory.
# bench/heap-flags.js, 205,000 requests standalone, two rounds each: RSS 90.0/90.9 MiB
# with glibc's default, 84.9/84.0 with 2 arenas, 81.1/82.5 with 1 (82.4/83.3 in a second
# run), throughput and p99 within the noise of the default's. Fixed mmap and
# trim thresholds (MALLOC_MMAP_THRESHOLD_=16384, MALLOC_TRIM_THRESHOLD_=65536,
# MALLOC_TOP_PAD_=0) gave 80.8 MiB against 83.3/84.2 at 0.83-0.90x the throughput; at 4096,
# 78.7/78.8 MiB at under 0.4x: not taken either. Fixed thresholds of 128/256 KiB (trim twice
# that): 87.1/82.4 and 85.4/84.0 MiB against 86.0/86.4, p99 at 500 req/s up to 1.65x. Not
# taken either: --no-concurrent-recompilation (malloc's heap after loading the modules 4-6
# MiB instead of 9-11, but after the load 81.9/82.0 MiB against 82.9/84.4 and p99 at 500
# req/s 1.5-1.7x) and --single-threaded (83.4/87.1); NODE_OPTIONS refuses both anyway.
ENV MALLOC_ARENA_MAX=1
COPY --from=deps /app/node_modules ./node_modules
# The bundle only: it reads templates/ and package.json from two levels up, as dist/cli/ does.
COPY --from=build /app/dist/bundle ./dist/bundle
COPY package.json ./
COPY templates ./templates
USER 65532
# 9443: HTTPS webhook (POST /inject). 8080: /healthz, /readyz, /metrics.
EXPOSE 9443 8080
# The image's own entrypoint is node; set both so `docker run IMAGE inject -f -` works too,
# and the Deployment's args (serve ...) replace CMD only. The program is the CLI bundled
# with its dependencies (scripts/bundle-image.js): `serve --standalone` opens 25
# JavaScript files up to ready instead of 593 (strace). bench/heap-flags.js, 3 rounds,
# both with 4 MiB semi-spaces: RSS at start 66.3-69.2 MiB against 71.6-75.4 for dist/
# through bin/, after 205,000 requests 81.9-82.5 against 84.8-86.6, heap live after GC
# 11.4 MiB against 12.9. With Kubernetes access it also leaves client-node's generated API
# out when it is built, instead of through a module hook and its worker thread: RSS at
# ready 68.9-72.6 MiB against 76.7-78.4 (three starts each against kube-up).
ENTRYPOINT ["/nodejs/bin/node", "dist/bundle/sidecar-injector.js"]
CMD ["serve"]
