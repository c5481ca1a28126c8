/**
 * An image without any shell tools (issue 15): one file, the host's static
 * busybox copied in as `/httpd` (busybox runs the applet its file is named
 * after), plus /www. No /bin/sh, no wget, no curl: a `cmd` probe cannot run
 * in it, only the agent's http/tcp probes can gate it.
 */
import { $ } from "bun";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const NOSHELL_IMAGE = "localhost/mcp-test/noshell:v1";
const RECIPE = "mcp-test-noshell/1";

/** httpd in the foreground on 8080 serving /www (index.html and healthz). */
export const NOSHELL_CMD = ["/httpd", "-f", "-p", "8080", "-h", "/www"];

const built = new Map<string, Promise<void>>();

/** Builds NOSHELL_IMAGE for this podman (an argv prefix) unless it has it. */
export function ensureNoShellImage(podman: string[] = ["podman"]): Promise<void> {
  const key = podman.join(" ");
  if (!built.has(key)) {
    built.set(key, (async () => {
      const have = await $`${podman} image inspect --format ${"{{.Comment}}"} ${NOSHELL_IMAGE}`.nothrow().quiet();
      if (have.exitCode === 0 && have.stdout.toString().trim() === RECIPE) return;
      const dir = await mkdtemp(join(tmpdir(), "mcp-noshell-"));
      try {
        const root = join(dir, "root");
        await mkdir(join(root, "www"), { recursive: true });
        await copyFile("/bin/busybox", join(root, "httpd"));
        await writeFile(join(root, "www", "index.html"), "noshell\n");
        await writeFile(join(root, "www", "healthz"), "ok\n");
        const tar = join(dir, "root.tar");
        await $`tar -C ${root} -cf ${tar} .`.quiet();
        await $`${podman} import --quiet --message ${RECIPE} --change ${`CMD ${JSON.stringify(NOSHELL_CMD)}`} - ${NOSHELL_IMAGE} < ${tar}`.quiet();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    })());
  }
  return built.get(key)!;
}
