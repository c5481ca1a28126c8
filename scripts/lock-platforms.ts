// The npm registry reachable here serves only the Linux builds of
// @bufbuild/buf's per-platform packages, so `npm install` leaves the other
// platforms out of package-lock.json, and `npm ci` then refuses the lock as
// out of sync. This adds them as optional, os/cpu-restricted entries (npm ci
// skips them on Linux without fetching). Run after `npm install`:
//   node_modules/.bin/bun scripts/lock-platforms.ts
import { readFileSync, writeFileSync } from "node:fs";

const path = `${import.meta.dir}/../package-lock.json`;
const lock = JSON.parse(readFileSync(path, "utf8"));
const PLATFORMS: Record<string, { os: string; cpu: string }> = {
  "darwin-arm64": { os: "darwin", cpu: "arm64" },
  "darwin-x64": { os: "darwin", cpu: "x64" },
  "linux-aarch64": { os: "linux", cpu: "arm64" },
  "linux-armv7": { os: "linux", cpu: "arm" },
  "linux-x64": { os: "linux", cpu: "x64" },
  "win32-arm64": { os: "win32", cpu: "arm64" },
  "win32-x64": { os: "win32", cpu: "x64" },
};
const buf = lock.packages["node_modules/@bufbuild/buf"];
let added = 0;
for (const dep of Object.keys(buf.optionalDependencies ?? {})) {
  const key = `node_modules/${dep}`;
  if (lock.packages[key]) continue;
  const p = PLATFORMS[dep.replace("@bufbuild/buf-", "")];
  if (!p) throw new Error(`unknown platform package ${dep}`);
  lock.packages[key] = { version: buf.optionalDependencies[dep], cpu: [p.cpu], dev: true, license: "Apache-2.0", optional: true, os: [p.os] };
  added++;
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
writeFileSync(path, JSON.stringify(lock, null, 2) + "\n");
console.error(`lock-platforms: added ${added} entries`);
