/**
 * Real-podman test support: two tiny local images built from the host's
 * static busybox (no registry, no network), a check that podman works, and
 * container helpers. Tests may spawn podman directly; src/ may not.
 */
import { $ } from "bun";
import { mkdtemp, mkdir, copyFile, symlink, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor as waitUntil } from "./mcp.ts";

/** The test images: identical but for /VERSION and /www/index.html. */
export const TEST_IMAGES = { v1: "localhost/mcp-test/busybox:v1", v2: "localhost/mcp-test/busybox:v2" } as const;

/**
 * Marks images built by this file (the image's Comment). An image with the
 * same name but another comment (an older recipe) is rebuilt. Bump it when
 * the recipe changes.
 */
const RECIPE = "mcp-test-image/2";

/** The busybox to copy in: Debian's busybox-static. */
const BUSYBOX = "/bin/busybox";

/** PID 1 that sleeps and exits at once on SIGTERM (a plain `sleep` as PID 1 ignores it, and `podman stop` waits). */
export const SLEEP_CMD = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];

/** busybox httpd on port 8080 serving /www (index.html = the version), stopping at once on SIGTERM. */
export const HTTP_CMD = ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"];

/** True when podman is on PATH and `podman info` answers; the reason otherwise. */
export async function podmanAvailable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (!Bun.which("podman")) return { ok: false, reason: "podman is not on PATH" };
  const info = await $`podman info --format json`.nothrow().quiet();
  if (info.exitCode !== 0) {
    const last = info.stderr.toString().trim().split("\n").at(-1) ?? "";
    return { ok: false, reason: `podman info failed (exit ${info.exitCode}): ${last}` };
  }
  return { ok: true };
}

async function upToDate(ref: string, podman: string[]): Promise<boolean> {
  const out = await $`${podman} image inspect --format ${"{{.Comment}}"} ${ref}`.nothrow().quiet();
  return out.exitCode === 0 && out.stdout.toString().trim() === RECIPE;
}

async function build(ref: string, version: string, podman: string[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "mcp-test-image-"));
  try {
    const root = join(dir, "root");
    await mkdir(join(root, "bin"), { recursive: true });
    await mkdir(join(root, "www"));
    await copyFile(BUSYBOX, join(root, "bin", "busybox"));
    const applets = (await $`${BUSYBOX} --list`.text()).split("\n").filter((a) => a !== "" && a !== "busybox");
    await Promise.all(applets.map((a) => symlink("busybox", join(root, "bin", a))));
    await writeFile(join(root, "VERSION"), `${version}\n`);
    await writeFile(join(root, "www", "index.html"), `${version}\n`);
    const tar = join(dir, "root.tar");
    await $`tar -C ${root} -cf ${tar} .`.quiet();
    // On stdin: another user's podman (mcp's, rootless) cannot read this private directory.
    await $`${podman} import --quiet --message ${RECIPE} --change ${"ENV PATH=/bin"} - ${ref} < ${tar}`.quiet();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const built = new Map<string, Promise<{ v1: string; v2: string }>>();

/**
 * Builds `localhost/mcp-test/busybox:v1` and `:v2` unless this podman
 * already has them (from this recipe); once per process and podman (root's
 * by default; `podman` is an argv prefix, e.g. mcp's rootless one). Returns
 * their refs.
 */
export function ensureTestImages(podman: string[] = ["podman"]): Promise<{ v1: string; v2: string }> {
  const key = podman.join(" ");
  if (!built.has(key)) {
    built.set(key, (async () => {
      for (const [version, ref] of Object.entries(TEST_IMAGES)) {
        if (!(await upToDate(ref, podman))) await build(ref, version, podman);
      }
      return { ...TEST_IMAGES };
    })());
  }
  return built.get(key)!;
}

/** A container name unique to this run: `<prefix>-<random>`, valid under mcp's name rule. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Removes (killing at once) every container whose name starts with prefix. */
export async function removeContainers(prefix: string, podman: string[] = ["podman"]): Promise<void> {
  const names = (await $`${podman} ps -a --format ${"{{.Names}}"}`.nothrow().quiet().text())
    .split("\n")
    .filter((n) => n !== "" && n.startsWith(prefix));
  if (names.length > 0) await $`${podman} rm -f -t 0 ${names}`.nothrow().quiet();
}

/** A free port on 127.0.0.1 (one implementation, in mcp.ts). */
export { freePort } from "./mcp.ts";

/**
 * Polls check until it returns a value other than undefined, or fails after
 * timeoutMs: the condition wait of mcp.ts, with this file's argument order.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  let value: T | undefined;
  await waitUntil(async () => (value = await check()) !== undefined, what, timeoutMs);
  return value as T;
}
