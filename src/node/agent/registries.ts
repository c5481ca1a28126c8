import { chmodSync, copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { McpError, messageOf } from "../../lib/errors.ts";
import { authFileText, registryHost, type RegistryCredentials } from "../podman/index.ts";

/** What a pull of one image is given: the auth file, and a CA directory when its registry has one. */
export interface PullAuth {
  authFile?: string;
  certDir?: string;
}

/**
 * Builds the function the deploy calls before each pull. It rewrites a
 * private auth file (mode 0600, replaced atomically) from the password files
 * every time, so a rotated token is picked up without a restart, and gives
 * the CA directory of the image's registry when one is configured. With no
 * `[[registries]]` it gives nothing and podman uses its own defaults.
 */
export function createRegistryAuth(registries: RegistryCredentials[], dir: string): (image: string) => PullAuth {
  if (registries.length === 0) return () => ({});
  const authFile = join(dir, "auth.json");
  return (image) => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // A name of its own per write: deploys of different services pull in parallel.
    const tmp = `${authFile}.${randomUUID()}.tmp`;
    writeFileSync(tmp, authFileText(registries, (p) => readFileSync(p, "utf8")), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, authFile);
    const host = registryHost(image);
    const reg = registries.find((r) => r.host === host && r.caCert);
    if (!reg) return { authFile };
    const certDir = join(dir, "certs.d", host.replace(/[^A-Za-z0-9._-]/g, "_"));
    mkdirSync(certDir, { recursive: true, mode: 0o700 });
    try {
      copyFileSync(reg.caCert, join(certDir, "ca.crt"));
    } catch (err) {
      throw new McpError("failed_precondition", `registry ${host}: cannot read its ca_cert ${reg.caCert} (${messageOf(err)})`, "fix ca_cert in [[registries]]");
    }
    return { authFile, certDir };
  };
}
