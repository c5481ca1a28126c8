import { createHash } from "node:crypto";
import { McpError } from "../../lib/errors.ts";
import type { ContainerRuntime } from "../runtime/port.ts";
import type { ComponentSpec } from "../runtime/types.ts";
import { canonicalJson, specHash } from "../../servicedef/index.ts";
import { getSecret, type Db } from "../store/index.ts";

/**
 * The hash a deploy compares and labels a component's container with
 * (`mcp.spec`): the spec's hash, with the versions of the secrets it uses
 * folded in, so a changed secret makes the next deploy replace the
 * component (SPEC §7.3). A spec without secrets hashes as specHash does.
 */
export function deployHash(db: Db, service: string, spec: ComponentSpec): string {
  const names = [...new Set((spec.secrets ?? []).map((r) => r.name))].sort();
  if (names.length === 0) return specHash(spec);
  const versions = Object.fromEntries(names.map((n) => [n, getSecret(db, service, n)?.version ?? ""]));
  return createHash("sha256").update(canonicalJson({ spec: specHash(spec), secrets: versions })).digest("hex");
}

/**
 * Before anything stops (SPEC §7.3): every secret the components name is
 * the service's and exists, in the registry and in podman. Throws
 * failed_precondition naming the component, the secret and what to do.
 */
export async function assertSecretsReady(deps: { db: Db; runtime: ContainerRuntime; node: string }, service: string, specs: readonly ComponentSpec[]): Promise<void> {
  const wanted = specs.flatMap((s) => (s.secrets ?? []).map((r, i) => ({ component: s.name, index: i, name: r.name })));
  if (wanted.length === 0) return;
  const inPodman = new Set((await deps.runtime.listSecrets()).map((s) => s.name));
  for (const w of wanted) {
    const rec = getSecret(deps.db, service, w.name);
    if (!rec || !inPodman.has(rec.podmanName)) {
      throw new McpError("failed_precondition",
        `service ${service}, component ${w.component}: secrets[${w.index}]: secret ${w.name} does not exist on node ${deps.node}${rec ? " (podman lost it)" : ""}; nothing was changed`,
        `set it first: mcp secret set ${service} ${w.name} < value-file`);
    }
  }
}

