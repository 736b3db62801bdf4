// Writes the npm packages of a release and packs them: the `chronos-lint` launcher, which lists
// every platform package as an optional dependency (npm installs only the one whose os, cpu and
// libc match), and this host's platform package holding the binary.
//
//   node packaging/npm/pack.mjs <version> <platform> <binary> <out-dir>
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// npm platform name -> what package.json's os, cpu and libc say.
const PLATFORMS = {
  "linux-x64": { os: ["linux"], cpu: ["x64"], libc: ["glibc"] },
  "linux-arm64": { os: ["linux"], cpu: ["arm64"], libc: ["glibc"] },
  "darwin-x64": { os: ["darwin"], cpu: ["x64"] },
  "darwin-arm64": { os: ["darwin"], cpu: ["arm64"] },
};

const [version, platform, binary, outDir] = process.argv.slice(2);
if (!version || !PLATFORMS[platform] || !binary || !outDir) {
  console.error(`usage: pack.mjs <version> <${Object.keys(PLATFORMS).join("|")}> <binary> <out-dir>`);
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const license = path.join(here, "..", "..", "LICENSE");
const staging = path.join(outDir, "staging");
rmSync(staging, { recursive: true, force: true });

function pack(dir) {
  execFileSync("npm", ["pack", "--silent", "--pack-destination", path.resolve(outDir)], {
    cwd: dir,
    stdio: ["ignore", "inherit", "inherit"],
  });
}

// The platform package: the binary, executable.
const platformDir = path.join(staging, platform);
mkdirSync(path.join(platformDir, "bin"), { recursive: true });
const platformManifest = JSON.parse(readFileSync(path.join(here, "platform.package.json"), "utf8"));
platformManifest.name = platformManifest.name.replace("PLATFORM", platform);
platformManifest.description = platformManifest.description.replace("PLATFORM", platform);
platformManifest.version = version;
Object.assign(platformManifest, PLATFORMS[platform]);
writeFileSync(path.join(platformDir, "package.json"), JSON.stringify(platformManifest, null, 2) + "\n");
copyFileSync(binary, path.join(platformDir, "bin", "chronos-lint"));
chmodSync(path.join(platformDir, "bin", "chronos-lint"), 0o755);
copyFileSync(license, path.join(platformDir, "LICENSE"));
pack(platformDir);

// The launcher: the same on every host; each release job writes an identical one.
const launcherDir = path.join(staging, "chronos-lint");
mkdirSync(path.join(launcherDir, "bin"), { recursive: true });
const launcherManifest = JSON.parse(readFileSync(path.join(here, "chronos-lint", "package.json"), "utf8"));
launcherManifest.version = version;
launcherManifest.optionalDependencies = Object.fromEntries(
  Object.keys(PLATFORMS).map((name) => [`@chronos-lint/${name}`, version]),
);
writeFileSync(path.join(launcherDir, "package.json"), JSON.stringify(launcherManifest, null, 2) + "\n");
for (const file of ["bin/chronos-lint.js", "README.md"]) {
  copyFileSync(path.join(here, "chronos-lint", file), path.join(launcherDir, file));
}
chmodSync(path.join(launcherDir, "bin", "chronos-lint.js"), 0o755);
copyFileSync(license, path.join(launcherDir, "LICENSE"));
pack(launcherDir);

rmSync(staging, { recursive: true, force: true });
