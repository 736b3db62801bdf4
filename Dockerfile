# syntax=docker/dockerfile:1
#
# chronos-lint with a PostgreSQL 15 server (and PostGIS) for `--shadow`, and git for
# `--changed-since`. Lint the repository in the current directory:
#
#   docker run --rm -v "$PWD:/src" ghcr.io/chronos-lint/chronos-lint --shadow migrations/
#
# Build it from a checkout (the commit is shown by `--version`; .git is not sent to the build):
#
#   docker build --build-arg CHRONOS_LINT_COMMIT="$(git rev-parse --short=12 HEAD)" -t chronos-lint .

FROM rust:1.95-bookworm AS builder

# libclang for pg_query's bindgen; the C compiler comes with the image.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libclang-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build
COPY Cargo.toml Cargo.lock build.rs ./
# Cargo.toml declares the parse_floor bench, so cargo wants benches/ to exist.
COPY benches/ benches/
COPY src/ src/
# The rule documentation, compiled in with include_str!.
COPY rules/ rules/

# Read by build.rs (there is no .git here to ask).
ARG CHRONOS_LINT_COMMIT=""
ENV CHRONOS_LINT_COMMIT=${CHRONOS_LINT_COMMIT}

RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/build/target \
    cargo build --release --locked \
    && cp target/release/chronos-lint /usr/local/bin/chronos-lint

FROM debian:bookworm-slim

LABEL org.opencontainers.image.title="chronos-lint" \
      org.opencontainers.image.description="Schema-governance linter for PostgreSQL migrations shared by several migration systems" \
      org.opencontainers.image.source="https://github.com/chronos-lint/chronos-lint" \
      org.opencontainers.image.licenses="MIT"

# The server programs land in /usr/lib/postgresql/15/bin, where `--shadow` starts its throwaway
# cluster from. postgresql-common is installed first and told not to create the packaged `main`
# cluster, which nothing here would use. git trusts every repository: the mounted one belongs to
# the host's user, not to the container's root, and git would otherwise refuse it.
# hadolint ignore=DL3008
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends postgresql-common; \
    sed -ri 's/^#?\s*(create_main_cluster)\s*=.*$/\1 = false/' /etc/postgresql-common/createcluster.conf; \
    grep -q '^create_main_cluster = false$' /etc/postgresql-common/createcluster.conf; \
    apt-get install -y --no-install-recommends \
        ca-certificates \
        git \
        postgresql-15 \
        postgresql-15-postgis-3; \
    rm -rf /var/lib/apt/lists/*; \
    git config --system --add safe.directory '*'

COPY --from=builder /usr/local/bin/chronos-lint /usr/local/bin/chronos-lint

# The container runs as root, and that is fine for `--shadow`: initdb and postgres refuse root,
# so as root chronos-lint runs the cluster as the `postgres` user that the server package created
# (its template is kept in /var/tmp/chronos-lint). `--shm-size=1g` lets the clusters run from
# /dev/shm, which is faster than the 64 MiB default allows.
ENV PG_BIN=/usr/lib/postgresql/15/bin
# The findings cache goes inside the container, not into the mounted directory, where it would
# be a directory owned by root; mount a volume here to keep it between runs.
ENV CHRONOS_LINT_CACHE_DIR=/var/cache/chronos-lint

WORKDIR /src
ENTRYPOINT ["chronos-lint"]
CMD ["."]
