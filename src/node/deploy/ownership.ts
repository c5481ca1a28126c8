import type { ObservedContainer } from "../runtime/types.ts";
import { LABEL_COMPONENT, LABEL_SERVICE } from "./containers.ts";

/** Which service and component a container belongs to. */
export interface Owner {
  service: string;
  component: string;
  /** How it was told: by mcp's labels, or by its name. */
  by: "label" | "name";
}

/**
 * The service a container belongs to among `known` (SPEC §5.6): its
 * `mcp.service` label when that names a known service; else its name, which
 * is `<service>` (component = the service's name) or `<service>-<component>`,
 * the longest known service that fits winning (`mc-proxy` is service
 * `mc-proxy`, not `mc` + `proxy`). Null when none fits.
 */
export function ownerOf(c: Pick<ObservedContainer, "name" | "labels">, known: Iterable<string>): Owner | null {
  const services = [...new Set(known)].sort((a, b) => b.length - a.length);
  const labelled = c.labels[LABEL_SERVICE];
  if (labelled && services.includes(labelled)) {
    const component = c.labels[LABEL_COMPONENT] || (c.name === labelled ? labelled : c.name.startsWith(`${labelled}-`) ? c.name.slice(labelled.length + 1) : c.name);
    return { service: labelled, component, by: "label" };
  }
  for (const s of services) {
    if (c.name === s) return { service: s, component: s, by: "name" };
    if (c.name.startsWith(`${s}-`) && c.name.length > s.length + 1) return { service: s, component: c.name.slice(s.length + 1), by: "name" };
  }
  return null;
}
