import { createHash } from "node:crypto";

/** Labels on every podman secret mcp makes: which service's, and its name there. */
export const SECRET_LABEL_SERVICE = "mcp.service";
export const SECRET_LABEL_NAME = "mcp.secret";

/** podman 4.3's longest secret name. */
const PODMAN_MAX = 64;

/**
 * The podman name of a service's secret (SPEC §7.3): `mcp.<service>.<name>`
 * when podman takes it (64 characters, ending in a letter or digit), else
 * `mcp-<40 hex of sha256("<service>/<name>")>`. One service can never name
 * another's: neither service names nor secret names hold a dot, so the
 * readable form splits back one way only (`a` + `b-c` and `a-b` + `c` are
 * `mcp.a.b-c` and `mcp.a-b.c`), and the hashed form starts with `mcp-`,
 * never `mcp.`. Definitions name a secret by its short name only; the agent
 * adds the service.
 */
export function podmanSecretName(service: string, name: string): string {
  const readable = `mcp.${service}.${name}`;
  if (readable.length <= PODMAN_MAX && /[A-Za-z0-9]$/.test(name)) return readable;
  return `mcp-${createHash("sha256").update(`${service}/${name}`).digest("hex").slice(0, 40)}`;
}

/** A component's secrets under their podman names (what `--secret` takes): always this service's own. */
export function runtimeSecrets<T extends { name: string }>(service: string, secrets: readonly T[] | undefined): T[] | undefined {
  return secrets?.map((r) => ({ ...r, name: podmanSecretName(service, r.name) }));
}
