/**
 * Distinct local images for prune tests: each call imports a new image (its
 * own id and digest) from the host's static busybox plus a file naming it,
 * so that removing one never touches the shared test images
 * (test/support/image.ts) other tests run at the same time.
 */
import { $ } from "bun";
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Imports a runnable image named ref (sh, sleep, httpd; PATH=/bin) into the podman of the argv prefix; returns its id. */
export async function makeDistinctImage(ref: string, podman: string[] = ["podman"]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mcp-distinct-image-"));
  try {
    const root = join(dir, "root");
    await mkdir(join(root, "bin"), { recursive: true });
    await copyFile("/bin/busybox", join(root, "bin", "busybox"));
    for (const applet of ["sh", "sleep", "cat", "echo", "httpd"]) await symlink("busybox", join(root, "bin", applet));
    await writeFile(join(root, "ID"), `${ref} ${crypto.randomUUID()}\n`);
    const tar = join(dir, "root.tar");
    await $`tar -C ${root} -cf ${tar} .`.quiet();
    // On stdin: another user's podman (mcp's, rootless) cannot read this private directory.
    const out = await $`${podman} import --quiet --change ${"ENV PATH=/bin"} - ${ref} < ${tar}`.quiet();
    return out.stdout.toString().trim().replace(/^sha256:/, "");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Removes images by name or id from the podman of the argv prefix, ignoring the missing ones. */
export async function removeImages(refs: string[], podman: string[] = ["podman"]): Promise<void> {
  if (refs.length > 0) await $`${podman} image rm -i ${refs}`.nothrow().quiet();
}
