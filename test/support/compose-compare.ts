/**
 * What "the same container" means for the compose comparison (issue 18): the
 * fields of `podman inspect` that must match between what docker-compose and
 * what mcp made from one compose file, normalized; and the fields that
 * legitimately differ, left out on purpose (docs/DECISIONS.md lists them):
 * names, the tools' own labels, networks, a generated hostname, the host side
 * of bind mounts (the compose file's directory vs the service's directory)
 * and host ports podman chose at random.
 */
import { expect } from "bun:test";
import type { ComponentSpec, HealthSpec } from "../../src/model/index.ts";
import { parsePort } from "../../src/servicedef/index.ts";
import type { Inspect } from "./compose.ts";
import type { Outcome } from "./compose-run.ts";

/** The fields that must match, as comparable values. */
export interface Comparable {
  image: string;
  imageId: string;
  cmd: string[];
  entrypoint: string;
  env: string[];
  user: string;
  workdir: string;
  hostname: string;
  ports: Record<string, string[]>;
  restart: string;
  init: boolean;
  stopSignal: string;
  stopTimeout: number;
  memory: number;
  cpus: number;
  pidsLimit: number;
  readOnly: boolean;
  tmpfs: Record<string, string>;
  caps: string[];
  labels: Record<string, string>;
  mounts: string[];
}

/** Labels that say who made a container, not what it is (compose's, mcp's, the image's build tool and recipe). */
const TOOL_LABEL = /^(com\.docker\.compose\.|mcp\.|io\.buildah\.|io\.podman\.|fixture\.)/;

/**
 * The comparable fields of one container. `bindRoot` is the host directory
 * its relative binds live under (stripped from bind sources); `randomPorts`
 * are container ports (`9100/tcp`) podman published on a host port of its choice.
 */
export function comparable(c: Inspect, o: { bindRoot: string; randomPorts: ReadonlySet<string> }): Comparable {
  const ports: Record<string, string[]> = {};
  for (const [port, binds] of Object.entries(c.HostConfig.PortBindings ?? {})) {
    ports[port] = (binds ?? []).map((b) => `${b.HostIp || "*"}:${o.randomPorts.has(port) ? "random" : b.HostPort}`).sort();
  }
  const hostname = /^[0-9a-f]{12}$/.test(c.Config.Hostname) ? "(generated)" : c.Config.Hostname;
  const cpus = c.HostConfig.NanoCpus || (c.HostConfig.CpuPeriod ? c.HostConfig.CpuQuota / c.HostConfig.CpuPeriod * 1e9 : 0);
  return {
    image: c.ImageName,
    imageId: c.Image,
    cmd: c.Config.Cmd ?? [],
    entrypoint: Array.isArray(c.Config.Entrypoint) ? c.Config.Entrypoint.join(" ") : c.Config.Entrypoint ?? "",
    // HOSTNAME is the generated hostname (random on both sides unless set).
    env: c.Config.Env.filter((e) => !e.startsWith("HOSTNAME=")).sort(),
    user: c.Config.User,
    workdir: c.Config.WorkingDir,
    hostname,
    ports,
    restart: c.HostConfig.RestartPolicy.Name === "" ? "no" : `${c.HostConfig.RestartPolicy.Name}${c.HostConfig.RestartPolicy.MaximumRetryCount ? `:${c.HostConfig.RestartPolicy.MaximumRetryCount}` : ""}`,
    init: c.HostConfig.Init ?? false,
    stopSignal: String(c.Config.StopSignal),
    stopTimeout: c.Config.StopTimeout,
    memory: c.HostConfig.Memory,
    cpus: Math.round(cpus),
    pidsLimit: c.HostConfig.PidsLimit,
    readOnly: c.HostConfig.ReadonlyRootfs,
    tmpfs: Object.fromEntries(Object.entries(c.HostConfig.Tmpfs ?? {}).map(([path, opts]) => [path, tmpfsOptions(opts)])),
    caps: [...(c.EffectiveCaps ?? [])].sort(),
    labels: Object.fromEntries(Object.entries(c.Config.Labels ?? {}).filter(([k]) => !TOOL_LABEL.test(k))),
    mounts: c.Mounts.map((m) => {
      const source = m.Type === "bind" ? (m.Source === o.bindRoot ? "<dir>" : m.Source.startsWith(`${o.bindRoot}/`) ? `<dir>/${m.Source.slice(o.bindRoot.length + 1)}` : m.Source) : m.Name ?? "";
      // podman's compat API drops compose's volume.nocopy (mcp passes it): see KNOWN_DIFFERENCES.
      return `${m.Type} ${source} → ${m.Destination} ${m.RW ? "rw" : "ro"} ${[...m.Options].filter((x) => x !== "rbind" && x !== "nocopy").sort().join(",")}`;
    }).sort(),
  };
}

/** tmpfs options in one form: sizes in bytes; `mode=0` (what podman's compat API records for compose's unset mode) left out. */
function tmpfsOptions(opts: string): string {
  const units: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
  return opts.split(",").filter((o) => o !== "mode=0").map((o) => {
    const m = /^size=(\d+)([kmg]?)$/i.exec(o);
    return m ? `size=${Number(m[1]) * units[m[2]!.toLowerCase()]!}` : o;
  }).join(",");
}

/**
 * What differs between the two tools for reasons outside mcp, each checked to
 * be exactly that difference before it is evened out:
 * - stop timeout: docker-compose sets none when stop_grace_period is unset
 *   (it passes 10 s at stop time), which podman's compat API records as 0;
 *   `podman run` records its default 10.
 */
export function evenKnownDifferences(fromCompose: Comparable, fromMcp: Comparable, o: { stopTimeoutSet: boolean }): void {
  if (!o.stopTimeoutSet && fromCompose.stopTimeout === 0 && fromMcp.stopTimeout === 10) fromCompose.stopTimeout = 10;
}

/**
 * compose's healthcheck as podman recorded it, in mcp's terms: CMD → the
 * command, CMD-SHELL → /bin/sh -c, NONE/none → undefined; nanoseconds → ms.
 */
export function composeHealth(c: Inspect): HealthSpec | undefined {
  const h = c.Config.Healthcheck;
  if (!h || h.Test.length === 0 || h.Test[0] === "NONE") return undefined;
  const [kind, ...rest] = h.Test;
  const spec: HealthSpec = {
    cmd: kind === "CMD-SHELL" ? ["/bin/sh", "-c", rest.join(" ")] : rest,
    intervalMs: h.Interval / 1e6,
    timeoutMs: h.Timeout / 1e6,
    retries: h.Retries,
  };
  if (h.StartPeriod) spec.startPeriodMs = h.StartPeriod / 1e6;
  return spec;
}

/** The container ports (`9100/tcp`) a component publishes on a host port podman picks. */
export function randomPortsOf(comp: ComponentSpec): Set<string> {
  return new Set(comp.ports.flatMap((p) => {
    const m = parsePort(p);
    return typeof m === "string" || m.hostPort ? [] : [`${m.containerPort}/${m.protocol || "tcp"}`];
  }));
}

/** Asserts that docker-compose's and mcp's containers of an outcome match field by field, and the health settings too. */
export function expectSameAsCompose(o: Outcome): void {
  expect([...o.mcp.keys()].sort()).toEqual(o.def.components.map((x) => x.name).sort());
  expect(o.compose.size).toBe(o.def.components.length);
  for (const comp of o.def.components) {
    const fromCompose = [...o.compose.entries()].find(([svc]) => svc.toLowerCase().replace(/[_.]/g, "-") === comp.name)?.[1];
    expect(fromCompose).toBeDefined();
    const randomPorts = randomPortsOf(comp);
    const a = comparable(fromCompose!, { bindRoot: o.workDir, randomPorts });
    const b = comparable(o.mcp.get(comp.name)!, { bindRoot: o.srvDir, randomPorts });
    evenKnownDifferences(a, b, { stopTimeoutSet: comp.stopTimeoutMs !== undefined });
    expect({ component: comp.name, ...b }).toEqual({ component: comp.name, ...a });
    // mcp's probe is the agent's (not a podman healthcheck): compared with the definition it runs from.
    expect({ component: comp.name, health: comp.health }).toEqual({ component: comp.name, health: composeHealth(fromCompose!) });
  }
}

/**
 * Asserts that the containers podman kube play made from the export run the
 * same image, command, env, ports (those with a host port) and volumes as
 * mcp's (SPEC §7.9).
 */
export function expectSameAsKube(o: Outcome): void {
  expect(o.kube).toBeDefined();
  const kube = o.kube!;
  // podman kube down removed the pod and its containers.
  expect(kube.cleanedUp).toBe(true);
  for (const comp of o.def.components) {
    const played = [...kube.containers.values()].find((c) => c.Name.endsWith(`-${comp.name}`));
    expect({ component: comp.name, played: played !== undefined }).toEqual({ component: comp.name, played: true });
    const mine = o.mcp.get(comp.name)!;
    const pick = (c: Inspect, ports: Record<string, { HostIp: string; HostPort: string }[]>) => ({
      component: comp.name,
      image: c.ImageName,
      imageId: c.Image,
      entrypoint: Array.isArray(c.Config.Entrypoint) ? c.Config.Entrypoint.join(" ") : c.Config.Entrypoint ?? "",
      cmd: c.Config.Cmd ?? [],
      // podman run adds container=podman and TERM=xterm to every container; kube play does not.
      env: c.Config.Env.filter((e) => !e.startsWith("HOSTNAME=") && e !== "container=podman" && e !== "TERM=xterm").sort(),
      // An image's EXPOSE shows as a port without bindings: nothing is published there.
      ports: Object.fromEntries(Object.entries(ports).filter(([p, b]) => !randomPortsOf(comp).has(p) && (b ?? []).length > 0)
        .map(([p, b]) => [p, (b ?? []).map((x) => `${x.HostIp || "*"}:${x.HostPort}`).sort()])),
      mounts: c.Mounts.filter((m) => m.Type === "bind" || m.Destination !== "" && !(comp.tmpfs ?? []).some((t) => t.split(":")[0] === m.Destination))
        .map((m) => `${m.Type} ${m.Type === "bind" ? m.Source : m.Name} → ${m.Destination} ${m.RW ? "rw" : "ro"}`).sort(),
    });
    const mcpPorts = mine.HostConfig.PortBindings ?? {};
    // The pod publishes every component's ports (on its infra container): this component's are compared.
    const podPorts = Object.fromEntries(Object.entries(kube.ports).filter(([p]) => Object.hasOwn(mcpPorts, p)));
    expect(pick(played!, podPorts)).toEqual(pick(mine, mcpPorts));
  }
}
