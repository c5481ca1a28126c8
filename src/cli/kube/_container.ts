/**
 * One mcp component → one Kubernetes container (and the pod volumes it
 * mounts). What Kubernetes has no field for is returned as a note, which
 * the exported YAML lists at its top.
 */
import { memoryBytes, parsePort, parseVolume } from "../../servicedef/index.ts";
import type { ComponentSpec, HealthSpec } from "../../model/index.ts";

/** A Kubernetes object as plain data (validated by the tests against the Kubernetes schema). */
export type KubeObject = Record<string, unknown>;

/** What one component becomes. */
export interface KubeContainer {
  container: KubeObject;
  volumes: KubeObject[];
  notes: string[];
}

/** More container ports than this from one range mapping are left out (a pod lists each port). */
const MAX_RANGE = 100;
/** A Kubernetes name: an RFC 1123 subdomain. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The container of component c; `index` numbers the pod's volume names (`<component>-v<N>`). */
export function toContainer(c: ComponentSpec, service: string): KubeContainer {
  const notes: string[] = [];
  const note = (text: string) => notes.push(`${c.name}: ${text}`);
  const container: KubeObject = { name: c.name, image: c.image };
  if (c.entrypoint !== undefined) {
    if (c.entrypoint.length > 0) container.command = c.entrypoint;
    else note("entrypoint = [] (no entrypoint) has no Kubernetes form: the image's entrypoint runs");
  }
  if (c.cmd.length > 0) container.args = c.cmd;
  if (c.workdir) container.workingDir = c.workdir;
  const env: KubeObject[] = c.env.map((e) => {
    const eq = e.indexOf("=");
    return { name: e.slice(0, eq), value: e.slice(eq + 1) };
  });
  for (const s of c.secrets ?? []) {
    if (s.env) env.push({ name: s.env, valueFrom: { secretKeyRef: { name: `${service}-secrets`, key: s.name } } });
    else note(`the secret ${s.name} (a file at ${s.file}) is not exported: mount a Secret there`);
  }
  if (c.secrets?.some((s) => s.env)) note(`secrets become keys of the Secret ${service}-secrets, which is not exported (create it: kubectl create secret generic ${service}-secrets --from-literal=<name>=<value>)`);
  if (env.length > 0) container.env = env;
  const ports = toPorts(c, note);
  if (ports.length > 0) container.ports = ports;
  const { mounts, volumes } = toVolumes(c, note);
  if (mounts.length > 0) container.volumeMounts = mounts;
  const security = toSecurity(c, note);
  if (security) container.securityContext = security;
  const limits: Record<string, string> = {};
  if (c.memory) limits.memory = quantity(memoryBytes(c.memory));
  if (c.cpus !== undefined) limits.cpu = String(c.cpus);
  if (Object.keys(limits).length > 0) container.resources = { limits };
  if (c.health) container.readinessProbe = toProbe(c.health, c, note);
  if (c.init) note("init = true has no Kubernetes field (the image's entrypoint is PID 1; use a pod with shareProcessNamespace or an init in the image)");
  if (c.stopSignal) note(`stop_signal = ${c.stopSignal} has no field here (Kubernetes sends SIGTERM; set STOPSIGNAL in the image)`);
  if (c.pidsLimit !== undefined) note(`pids_limit = ${c.pidsLimit} is a node setting in Kubernetes (kubelet podPidsLimit)`);
  if (c.devices && c.devices.length > 0) note("devices need a device plugin in Kubernetes; not exported");
  if (c.labels && Object.keys(c.labels).length > 0) note(`labels (${Object.keys(c.labels).join(", ")}) are container labels in podman; Kubernetes labels pods: not exported`);
  if (c.after && c.after.length > 0) note(`after = [${c.after.join(", ")}]: a pod starts its containers together; readiness probes and retries replace the order`);
  return { container, volumes, notes };
}

function toPorts(c: ComponentSpec, note: (t: string) => void): KubeObject[] {
  const out: KubeObject[] = [];
  for (const text of c.ports) {
    const p = parsePort(text);
    if (typeof p === "string") continue; // the definition was validated; nothing else to say
    const [lo, hi] = range(p.containerPort);
    const [hostLo] = p.hostPort ? range(p.hostPort) : [0];
    if (hi - lo + 1 > MAX_RANGE) {
      note(`the port range ${text} has more than ${MAX_RANGE} ports; not exported (use a Service)`);
      continue;
    }
    if (!p.hostPort) note(`port ${text} is published on a random host port by podman; a containerPort alone publishes nothing under kube play`);
    for (let port = lo; port <= hi; port++) {
      const entry: KubeObject = { containerPort: port, protocol: (p.protocol || "tcp").toUpperCase() };
      if (p.hostPort) entry.hostPort = hostLo + (port - lo);
      if (p.ip) entry.hostIP = p.ip;
      out.push(entry);
    }
  }
  return out;
}

function range(text: string): [number, number] {
  const [a, b] = text.split("-");
  return [Number(a), Number(b ?? a)];
}

function toVolumes(c: ComponentSpec, note: (t: string) => void): { mounts: KubeObject[]; volumes: KubeObject[] } {
  const mounts: KubeObject[] = [];
  const volumes: KubeObject[] = [];
  c.volumes.forEach((text, i) => {
    const v = parseVolume(text);
    if (typeof v === "string") return;
    const name = `${c.name}-v${i}`;
    const mount: KubeObject = { name, mountPath: v.target };
    if (v.options.includes("ro")) mount.readOnly = true;
    const dropped = v.options.filter((o) => o !== "ro" && o !== "rw");
    if (dropped.length > 0) note(`volume ${text}: the options ${dropped.join(",")} have no Kubernetes form`);
    if (v.kind === "bind") volumes.push({ name, hostPath: { path: v.source } });
    else {
      // podman kube play mounts the podman volume named by the claim: the data mcp's containers used.
      volumes.push({ name, persistentVolumeClaim: { claimName: v.source } });
      if (!DNS_SUBDOMAIN.test(v.source)) note(`the claim ${v.source} (the podman volume's name) is not a valid Kubernetes name: rename it for a cluster`);
    }
    mounts.push(mount);
  });
  (c.tmpfs ?? []).forEach((text, i) => {
    const [path, opts = ""] = text.split(/:(.*)/s) as [string, string?];
    const name = `${c.name}-t${i}`;
    const size = /(?:^|,)size=(\d+)([kmg]?)(?:,|$)/.exec(opts);
    const emptyDir: KubeObject = { medium: "Memory" };
    if (size) emptyDir.sizeLimit = quantity(Number(size[1]) * ({ "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[size[2]!]!);
    volumes.push({ name, emptyDir });
    mounts.push({ name, mountPath: path });
    note(`tmpfs ${path} becomes an emptyDir in memory${opts ? ` (options other than size dropped: ${opts})` : ""}; podman kube play 4.x makes it a plain volume`);
  });
  return { mounts, volumes };
}

function toSecurity(c: ComponentSpec, note: (t: string) => void): KubeObject | undefined {
  const s: KubeObject = {};
  if (c.user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(c.user);
    if (m) {
      s.runAsUser = Number(m[1]);
      if (m[2] !== undefined) s.runAsGroup = Number(m[2]);
    } else note(`user = ${c.user}: Kubernetes takes numeric ids only (runAsUser); not exported`);
  }
  if (c.readOnly) s.readOnlyRootFilesystem = true;
  const caps: KubeObject = {};
  if (c.capAdd && c.capAdd.length > 0) caps.add = c.capAdd;
  if (c.capDrop && c.capDrop.length > 0) caps.drop = c.capDrop;
  if (Object.keys(caps).length > 0) s.capabilities = caps;
  return Object.keys(s).length > 0 ? s : undefined;
}

/** mcp's probe → a readiness probe (mcp's probes gate and alert; they never restart, as a liveness probe would). */
function toProbe(h: HealthSpec, c: ComponentSpec, note: (t: string) => void): KubeObject {
  const probe: KubeObject = {};
  if (h.http) {
    const u = new URL(h.http);
    probe.httpGet = { path: `${u.pathname}${u.search}`, port: containerPortFor(c, Number(u.port || (u.protocol === "https:" ? 443 : 80))), scheme: u.protocol === "https:" ? "HTTPS" : "HTTP" };
    note(`the http probe ${h.http} runs from the agent; as a readinessProbe it runs against the pod`);
  } else if (h.tcp) {
    probe.tcpSocket = { port: containerPortFor(c, Number(h.tcp.slice(h.tcp.lastIndexOf(":") + 1))) };
  } else probe.exec = { command: h.cmd };
  probe.periodSeconds = Math.max(1, Math.ceil(h.intervalMs / 1000));
  probe.timeoutSeconds = Math.max(1, Math.ceil(h.timeoutMs / 1000));
  probe.failureThreshold = h.retries;
  if (h.startPeriodMs) probe.initialDelaySeconds = Math.ceil(h.startPeriodMs / 1000);
  return probe;
}

/** The container port a host port of c publishes (the agent probes host ports; a pod probe reaches container ports). */
function containerPortFor(c: ComponentSpec, hostPort: number): number {
  for (const text of c.ports) {
    const p = parsePort(text);
    if (typeof p === "string" || !p.hostPort) continue;
    const [lo, hi] = range(p.hostPort);
    if (hostPort >= lo && hostPort <= hi) return range(p.containerPort)[0] + (hostPort - lo);
  }
  return hostPort;
}

/** Bytes as a Kubernetes quantity: `256Mi`, `1Gi` when exact. */
export function quantity(bytes: number): string {
  for (const [unit, size] of [["Gi", 1024 ** 3], ["Mi", 1024 ** 2], ["Ki", 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}
