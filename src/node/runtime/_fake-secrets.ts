// The FakeRuntime's secrets (SPEC §7.3), failing as podman 4.3 does, and the
// §7.2 keys of a fake container as inspect reports them.
import { McpError } from "../../lib/errors.ts";
import type { ContainerSettings, ContainerSpec, SecretEntry, SecretRef } from "./types.ts";
import { randomHex } from "./_fake-types.ts";

/** podman's rule for secret names. */
const PODMAN_SECRET_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9])?$/;

/** Secrets in a Map: values kept as given, for tests to look at (`valueOf`). */
export class FakeSecrets {
  private readonly byName = new Map<string, { id: string; value: Uint8Array; labels: Record<string, string> }>();

  /** As podman: a bad name or size is failed_precondition, a taken name already_exists. */
  create(name: string, value: Uint8Array, labels: Record<string, string>): void {
    if (!PODMAN_SECRET_NAME.test(name)) throw new McpError("failed_precondition", `cannot create secret ${name}: invalid secret name`, "");
    if (value.length === 0 || value.length >= 512_000) {
      throw new McpError("failed_precondition", `cannot create secret ${name}: secret data must be larger than 0 and less than 512000 bytes`, "");
    }
    if (this.byName.has(name)) throw new McpError("already_exists", `secret ${name} already exists`, "remove it first");
    this.byName.set(name, { id: randomHex(13).slice(0, 25), value: new Uint8Array(value), labels: { ...labels } });
  }

  remove(name: string): boolean {
    return this.byName.delete(name);
  }

  list(): SecretEntry[] {
    return [...this.byName.entries()].map(([name, s]) => ({ id: s.id, name }));
  }

  /** The stored value (tests only); undefined when there is none. */
  valueOf(name: string): Uint8Array | undefined {
    return this.byName.get(name)?.value;
  }

  /** A run naming a missing secret fails as podman's does. */
  assertPresent(secrets: readonly SecretRef[] | undefined): void {
    const missing = (secrets ?? []).find((r) => !this.byName.has(r.name));
    if (missing) throw new McpError("failed_precondition", `cannot start container: no secret with name or id "${missing.name}": no such secret`, "");
  }
}

/** The §7.2 keys a fake container was run with, as inspect reports them: those the spec set. */
export function settingsOfSpec(spec: ContainerSpec): ContainerSettings {
  const keys = ["entrypoint", "init", "stopSignal", "stopTimeoutMs", "memory", "cpus", "pidsLimit", "readOnly", "tmpfs", "capDrop", "capAdd",
    "hostname", "workdir", "devices", "secrets"] as const;
  return structuredClone(Object.fromEntries(keys.filter((k) => spec[k] !== undefined).map((k) => [k, spec[k]]))) as ContainerSettings;
}
