import type { ComponentSpec, ServiceDef } from "../model/index.ts";
import { parseDuration } from "../lib/duration.ts";
import { HEALTH_DEFAULTS, type RawServiceDef } from "./schema.ts";

/**
 * Turns a validated definition into the domain ServiceDef: `active` defaults
 * to true, unset strings become "", unset lists [], health durations ms with
 * their defaults. Two definitions that mean the same normalize equal.
 */
export function normalizeServiceDef(raw: RawServiceDef): ServiceDef {
  return {
    name: raw.name,
    node: raw.node,
    active: raw.active ?? true,
    components: raw.components.map((c): ComponentSpec => {
      const spec: ComponentSpec = {
        name: c.name,
        image: c.image,
        network: c.network ?? "",
        user: c.user ?? "",
        restart: c.restart ?? "",
        ports: c.ports ?? [],
        volumes: c.volumes ?? [],
        cmd: c.cmd ?? [],
        env: c.env ?? [],
      };
      if (c.health) {
        spec.health = {
          cmd: c.health.cmd,
          intervalMs: parseDuration(c.health.interval ?? HEALTH_DEFAULTS.interval),
          timeoutMs: parseDuration(c.health.timeout ?? HEALTH_DEFAULTS.timeout),
          retries: c.health.retries ?? HEALTH_DEFAULTS.retries,
        };
      }
      return spec;
    }),
  };
}
