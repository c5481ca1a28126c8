import type { ContainerRuntime } from "../runtime/port.ts";
import type { ComponentSpec, ContainerSpec } from "../runtime/types.ts";
import { LABEL_COMPONENT, LABEL_SERVICE } from "./containers.ts";

/**
 * The runtime with the node's policy in front of every container it creates
 * (deploys, rollbacks, put-backs, a `start` that recreates a missing
 * container from its recorded spec): a spec recorded before the policy was
 * tightened, adopted from a hand-made container, or sent by `sync`, is
 * checked again at the moment it would run.
 */
export function guardRuntime(
  runtime: ContainerRuntime, allow: (service: string, spec: ComponentSpec) => void,
  /** The devices as podman should get them once allowed (node/policy's pinDevices: resolved where they were judged). */
  pin: (devices: readonly string[]) => string[] = (d) => [...d],
): ContainerRuntime {
  const run = async (spec: ContainerSpec, opts?: { replace?: boolean; stopTimeoutSec?: number }) => {
    allow(spec.labels[LABEL_SERVICE] ?? "", { ...spec, name: spec.labels[LABEL_COMPONENT] ?? spec.name });
    return runtime.run(spec.devices?.length ? { ...spec, devices: pin(spec.devices) } : spec, opts);
  };
  // Every other method is the runtime's own, bound to it (a class keeps its state on itself).
  return new Proxy(runtime, {
    get(target, key) {
      if (key === "run") return run;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
