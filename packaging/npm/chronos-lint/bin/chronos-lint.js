#!/usr/bin/env node
// Runs the chronos-lint binary of this platform's package (@chronos-lint/<platform>), which npm
// installed as an optional dependency: nothing is downloaded at install or run time.
"use strict";

const { spawnSync } = require("node:child_process");
const path = require("node:path");

// The platform packages that are published, by `${process.platform}-${process.arch}`.
const PLATFORMS = new Set(["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64"]);

function binaryPath() {
  const override = process.env.CHRONOS_LINT_BINARY;
  if (override) {
    return override;
  }
  const platform = `${process.platform}-${process.arch}`;
  if (!PLATFORMS.has(platform)) {
    fail(
      `no prebuilt chronos-lint for ${platform}; prebuilt: ${[...PLATFORMS].join(", ")}.\n` +
        "Use the container image or build from source: cargo install --locked chronos-lint",
    );
  }
  const pkg = `@chronos-lint/${platform}`;
  try {
    return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "bin", "chronos-lint");
  } catch {
    fail(
      `${pkg} is not installed. It is an optional dependency of chronos-lint: reinstall without ` +
        "--no-optional / --omit=optional. On Linux it needs glibc (Alpine's musl is not " +
        "supported; use the container image there).",
    );
  }
}

function fail(message) {
  process.stderr.write(`chronos-lint: ${message}\n`);
  process.exit(2);
}

const result = spawnSync(binaryPath(), process.argv.slice(2), { stdio: "inherit" });
if (result.error) {
  fail(`cannot run ${result.error.path || "the binary"}: ${result.error.message}`);
}
if (result.signal) {
  // End the way the binary ended, so that callers see the signal too.
  process.kill(process.pid, result.signal);
}
process.exit(result.status ?? 1);
