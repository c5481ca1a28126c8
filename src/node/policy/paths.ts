import { lstatSync, readlinkSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";

/** True when path is dir or lies below it (both absolute and normalized). */
export function isWithin(path: string, dir: string): boolean {
  return path === dir || dir === "/" || path.startsWith(`${dir}/`);
}

/** True when one of the two lies within the other. */
export function overlaps(a: string, b: string): boolean {
  return isWithin(a, b) || isWithin(b, a);
}

const MAX_HOPS = 40;

/**
 * Where an absolute host path leads, the way the kernel resolves it when
 * podman mounts it: component by component, `..` taken after the symlinks
 * before it, every symlink followed (at most 40). The part from the first
 * missing component on is appended as written (normalized), so a path that
 * does not exist yet is judged by where it would be created.
 */
export function resolveHostPath(path: string): string {
  const pending = path.split("/").filter((p) => p !== "" && p !== ".");
  let cur = "/";
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === "..") {
      cur = dirname(cur);
      continue;
    }
    const next = join(cur, part);
    let isLink = false;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch {
      return resolve(next, ...pending);
    }
    if (!isLink) {
      cur = next;
      continue;
    }
    if (++hops > MAX_HOPS) return resolve(next, ...pending); // ELOOP for the kernel too: judged as written
    const target = readlinkSync(next);
    pending.unshift(...target.split("/").filter((p) => p !== "" && p !== "."));
    if (isAbsolute(target)) cur = "/";
  }
  return cur;
}
