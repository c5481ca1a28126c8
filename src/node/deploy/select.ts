import { McpError, messageOf } from "../../lib/errors.ts";
import type { ComponentSpec, ImageInfo } from "../runtime/types.ts";
import { findCycle, orderByAfter } from "../../servicedef/index.ts";
import type { DeployDeps } from "./deploy.ts";
import type { Progress } from "./types.ts";

/** A component's `after` (SPEC §7.2), from a definition's spec or a registry record's. */
const afterOf = (c: { name: string; after?: string[]; spec?: { after?: string[] } }) => c.after ?? c.spec?.after ?? [];

/**
 * The components a filter selects, all of them in start order (each after
 * those its `after` names, else in definition order); a filter that matches
 * nothing is refused.
 */
export function selectComponents<T extends { name: string }>(service: { name: string; components: T[] }, component: string): T[] {
  if (!component) {
    const items = service.components.map((c) => ({ name: c.name, after: afterOf(c as never), c }));
    // Recorded specs can form a cycle (components deployed one at a time from changing definitions): then
    // the recorded order, so that a stop or a boot start is never refused for it (a definition's cycle is
    // refused before it is sent).
    if (findCycle(items)) return service.components;
    return orderByAfter(items, `service ${service.name}`).map((i) => i.c);
  }
  const found = service.components.filter((c) => c.name === component);
  if (found.length === 0) {
    throw new McpError(
      "invalid_argument",
      `service ${service.name} has no component "${component}"`,
      `its components: ${service.components.map((c) => c.name).join(", ") || "none"}`,
    );
  }
  return found;
}

/**
 * `localhost/…` (no port) names podman's local storage, not a registry: such
 * images are built or imported on the node and a pull could only fail.
 */
export function isLocalOnly(image: string): boolean {
  return image.startsWith("localhost/");
}

export async function pullOrLocal(
  deps: DeployDeps,
  spec: ComponentSpec,
  progress: (p: Progress) => void,
  warnings: string[],
): Promise<ImageInfo | string> {
  if (isLocalOnly(spec.image)) {
    const local = await deps.runtime.getImage(spec.image);
    return local ?? `image ${spec.image} is not in this node's local storage (localhost/ images are never pulled)`;
  }
  progress({ component: spec.name, message: `pulling ${spec.image}` });
  try {
    return await deps.runtime.pull(spec.image, deps.registryAuth?.(spec.image) ?? {});
  } catch (err) {
    const local = await deps.runtime.getImage(spec.image).catch(() => null);
    if (local) {
      const w = `${spec.name}: pull of ${spec.image} failed (${messageOf(err)}); deployed the local image`;
      warnings.push(w);
      deps.log.warn("pull failed, using the local image", { image: spec.image, error: messageOf(err) });
      return local;
    }
    return `pull failed: ${messageOf(err)}`;
  }
}
