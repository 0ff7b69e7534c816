# syntax=docker/dockerfile:1
# The injector image: built with Node 22, run on distroless Node 22 as UID 65532, with
# production dependencies only. Build: docker build -t sidecar-injector:0.1.0 .

# Compiles TypeScript to dist/.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; built below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
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
# The young generation is capped at 4 MiB semi-spaces: under load V8's default (16 MiB)
# fills ~30 MiB of RSS with garbage between scavenges (heap 49 MiB total, 13 MiB live).
# Measured with bench/heap-flags.js, 3 interleaved rounds, 25,000 requests each, on a busy
# 2-core machine: RSS 113 -> 87 MiB standalone; after 205,000 requests with Kubernetes
# access 128 -> 106 MiB; saturation 0.87-1.44x of the default's (no loss beyond the
# noise; p99 there was queueing). On a quiet run (BENCHMARKS.md, every server with these
# options) the p99 at 500 req/s was 1.93x and at 1000 req/s 1.78x the floor answering the
# same patch. semi-2 saved no more, semi-8 kept 9 MiB more, --optimize-for-size 5 MiB less but
# 0.54-1.10x the throughput, --single-threaded-gc nothing. Also measured, with one arena,
# 205,000 requests, two rounds: --bytecode-old-age=1 --flush-baseline-code (start-up code's
# bytecode dropped after one full GC instead of five) left 1.6 MiB less heap live after GC,
# RSS 81.8/83.8 MiB against 84.3/84.4, p99 at 1000 req/s 1.58x/1.46x in both rounds;
# --max-semi-space-size=3 left the committed heap as it was (29.6/29.9 MiB): neither taken.
# bench/ runs serve, and its baselines, with whatever NODE_OPTIONS and other ENV this file sets.
ENV NODE_OPTIONS="--max-old-space-size=112 --max-semi-space-size=4"
# One malloc arena: glibc gives each thread that allocates (V8's GC and compiler workers,
# libuv's pool writing the log) an arena of its own, and each keeps freed memory.
# bench/heap-flags.js, 205,000 requests standalone, two rounds each: RSS 90.0/90.9 MiB
# with glibc's default, 84.9/84.0 with 2 arenas, 81.1/82.5 with 1 (82.4/83.3 in a second
# run), throughput and p99 within the noise of the default's. With it, 2 MiB semi-spaces
# reached 78.4/79.5 MiB but cost 16-23 % of the throughput; in three later rounds 79.0/79.3/
# 82.0 MiB against 83.8/83.9/82.2, throughput within the noise, p99 at 500 req/s 0.83-1.37x:
# not under 80 MiB every time, and a risk to the p99 target: not taken. Fixed mmap and
# trim thresholds (MALLOC_MMAP_THRESHOLD_=16384, MALLOC_TRIM_THRESHOLD_=65536,
# MALLOC_TOP_PAD_=0) gave 80.8 MiB against 83.3/84.2 at 0.83-0.90x the throughput; at 4096,
# 78.7/78.8 MiB at under 0.4x: not taken either. Fixed thresholds of 128/256 KiB (trim twice
# that): 87.1/82.4 and 85.4/84.0 MiB against 86.0/86.4, p99 at 500 req/s up to 1.65x. Not
# taken either: --no-concurrent-recompilation (malloc's heap after loading the modules 4-6
# MiB instead of 9-11, but after the load 81.9/82.0 MiB against 82.9/84.4 and p99 at 500
# req/s 1.5-1.7x) and --single-threaded (83.4/87.1); NODE_OPTIONS refuses both anyway.
ENV MALLOC_ARENA_MAX=1
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY templates ./templates
USER 65532
# 9443: HTTPS webhook (POST /inject). 8080: /healthz, /readyz, /metrics.
EXPOSE 9443 8080
# The image's own entrypoint is node; set both so `docker run IMAGE inject -f -` works too,
# and the Deployment's args (serve ...) replace CMD only.
ENTRYPOINT ["/nodejs/bin/node", "bin/sidecar-injector.js"]
CMD ["serve"]
