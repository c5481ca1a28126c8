import { create } from "@bufbuild/protobuf";
import {
  ComponentRecordSchema, ComponentResultSchema, ComponentSpecSchema, DeploymentSchema, EventSchema, ResultStatus as PbStatus,
  ServiceRecordSchema, ServiceSpecSchema,
  type ComponentRecord as PbComponentRecord, type ComponentResult as PbComponentResult, type ComponentSpec as PbComponentSpec,
  type Deployment as PbDeployment, type Event as PbEvent, type ServiceRecord as PbServiceRecord, type ServiceSpec as PbServiceSpec,
} from "../gen/mcp/v1/types_pb.ts";
import type { ComponentResult, ResultStatus } from "../model/index.ts";
import type { ComponentSpec, DesiredState, HealthState, ObservedState, SecretRef, ServiceDef } from "../model/index.ts";
import type { ComponentRecord, DeploymentOutcome, DeploymentRecord, EventRecord, ServiceRecord } from "../model/index.ts";

/** Proto ⇄ domain conversion. Every generated type stays inside src/rpc/. */

export function specToProto(s: ComponentSpec): PbComponentSpec {
  const h = s.health;
  return create(ComponentSpecSchema, {
    name: s.name, image: s.image, network: s.network, user: s.user, restart: s.restart,
    ports: s.ports, volumes: s.volumes, cmd: s.cmd, env: s.env,
    health: h ? { cmd: h.cmd, http: h.http ?? "", tcp: h.tcp ?? "", intervalMs: h.intervalMs, timeoutMs: h.timeoutMs, retries: h.retries, startPeriodMs: h.startPeriodMs ?? 0 } : undefined,
    entrypoint: s.entrypoint ?? [], entrypointSet: s.entrypoint !== undefined, init: s.init, stopSignal: s.stopSignal ?? "",
    stopTimeoutMs: s.stopTimeoutMs, memory: s.memory ?? "", cpus: s.cpus, pidsLimit: s.pidsLimit === undefined ? undefined : BigInt(s.pidsLimit),
    readOnly: s.readOnly, tmpfs: s.tmpfs ?? [], capDrop: s.capDrop ?? [], capAdd: s.capAdd ?? [], hostname: s.hostname ?? "",
    workdir: s.workdir ?? "", devices: s.devices ?? [], after: s.after ?? [], labels: s.labels ?? {},
    secrets: (s.secrets ?? []).map((r) => ({ name: r.name, env: r.env ?? "", file: r.file ?? "" })),
  });
}

/** The §7.2 keys of a spec from a message: absent stays absent (never "" or []), so hashes stay those of the sender. */
function extraFromProto(p: PbComponentSpec, s: ComponentSpec): void {
  if (p.entrypointSet || p.entrypoint.length > 0) s.entrypoint = [...p.entrypoint];
  if (p.init !== undefined) s.init = p.init;
  if (p.stopSignal) s.stopSignal = p.stopSignal;
  if (p.stopTimeoutMs !== undefined) s.stopTimeoutMs = p.stopTimeoutMs;
  if (p.memory) s.memory = p.memory;
  if (p.cpus !== undefined) s.cpus = p.cpus;
  if (p.pidsLimit !== undefined) s.pidsLimit = Number(p.pidsLimit);
  if (p.readOnly !== undefined) s.readOnly = p.readOnly;
  for (const key of ["tmpfs", "capDrop", "capAdd", "devices", "after"] as const) if (p[key].length > 0) s[key] = [...p[key]];
  if (p.hostname) s.hostname = p.hostname;
  if (p.workdir) s.workdir = p.workdir;
  if (Object.keys(p.labels).length > 0) s.labels = { ...p.labels };
  if (p.secrets.length > 0) {
    s.secrets = p.secrets.map((r) => {
      const ref: SecretRef = { name: r.name };
      if (r.env) ref.env = r.env;
      if (r.file) ref.file = r.file;
      return ref;
    });
  }
}

export function specFromProto(p: PbComponentSpec | undefined): ComponentSpec {
  const s: ComponentSpec = {
    name: p?.name ?? "", image: p?.image ?? "", network: p?.network ?? "", user: p?.user ?? "", restart: p?.restart ?? "",
    ports: [...(p?.ports ?? [])], volumes: [...(p?.volumes ?? [])], cmd: [...(p?.cmd ?? [])], env: [...(p?.env ?? [])],
  };
  const h = p?.health;
  if (h) {
    s.health = { cmd: [...h.cmd], intervalMs: h.intervalMs, timeoutMs: h.timeoutMs, retries: h.retries };
    if (h.http) s.health.http = h.http;
    if (h.tcp) s.health.tcp = h.tcp;
    if (h.startPeriodMs) s.health.startPeriodMs = h.startPeriodMs;
  }
  if (p) extraFromProto(p, s);
  return s;
}

export function serviceDefToProto(d: ServiceDef): PbServiceSpec {
  return create(ServiceSpecSchema, { name: d.name, node: d.node, active: d.active, components: d.components.map(specToProto), after: d.after ?? [] });
}

export function serviceDefFromProto(p: PbServiceSpec | undefined): ServiceDef {
  const d: ServiceDef = { name: p?.name ?? "", node: p?.node ?? "", active: p?.active ?? false, components: (p?.components ?? []).map(specFromProto) };
  if (p && p.after.length > 0) d.after = [...p.after];
  return d;
}

const STATUS_TO: Record<ResultStatus, PbStatus> = {
  ok: PbStatus.OK, unchanged: PbStatus.UNCHANGED, rolled_back: PbStatus.ROLLED_BACK, failed: PbStatus.FAILED,
};

export function resultToProto(r: ComponentResult): PbComponentResult {
  return create(ComponentResultSchema, { ...r, status: STATUS_TO[r.status] });
}

export function resultFromProto(p: PbComponentResult): ComponentResult {
  const status = (Object.entries(STATUS_TO).find(([, v]) => v === p.status)?.[0] ?? "failed") as ResultStatus;
  return { component: p.component, status, message: p.message, version: p.version, containerName: p.containerName };
}

export function componentRecordToProto(c: ComponentRecord): PbComponentRecord {
  return create(ComponentRecordSchema, {
    name: c.name, spec: specToProto(c.spec), specHash: c.specHash, desired: c.desired, observed: c.observed, version: c.version,
    imageDigest: c.imageDigest, containerId: c.containerId, containerName: c.containerName,
    observedAtMs: BigInt(c.observedAt), deployedAtMs: BigInt(c.deployedAt), health: c.health ?? "", unverified: c.unverified ?? false,
  });
}

export function componentRecordFromProto(service: string, p: PbComponentRecord): ComponentRecord {
  return {
    service, name: p.name, spec: specFromProto(p.spec), specHash: p.specHash, desired: p.desired as DesiredState,
    observed: p.observed as ObservedState, version: p.version, imageDigest: p.imageDigest, containerId: p.containerId,
    containerName: p.containerName, observedAt: Number(p.observedAtMs), deployedAt: Number(p.deployedAtMs), updatedAt: 0,
    health: p.health as HealthState, unverified: p.unverified,
  };
}

export function serviceRecordToProto(s: ServiceRecord): PbServiceRecord {
  return create(ServiceRecordSchema, { name: s.name, active: s.active, components: s.components.map(componentRecordToProto) });
}

export function serviceRecordFromProto(p: PbServiceRecord): ServiceRecord {
  return { name: p.name, active: p.active, components: p.components.map((c) => componentRecordFromProto(p.name, c)) };
}

export function eventToProto(e: EventRecord): PbEvent {
  return create(EventSchema, { id: BigInt(e.id), timeMs: BigInt(e.time), service: e.service, component: e.component, kind: e.kind, message: e.message });
}

export function eventFromProto(p: PbEvent): EventRecord {
  return { id: Number(p.id), time: Number(p.timeMs), service: p.service, component: p.component, kind: p.kind, message: p.message };
}

export function deploymentToProto(d: DeploymentRecord): PbDeployment {
  return create(DeploymentSchema, {
    id: BigInt(d.id), service: d.service, component: d.component, spec: specToProto(d.spec), imageDigest: d.imageDigest,
    version: d.version, startedAtMs: BigInt(d.startedAt), finishedAtMs: BigInt(d.finishedAt), outcome: d.outcome, message: d.message,
    batch: d.batch,
  });
}

export function deploymentFromProto(p: PbDeployment): DeploymentRecord {
  return {
    id: Number(p.id), service: p.service, component: p.component, spec: specFromProto(p.spec), specHash: "", imageDigest: p.imageDigest,
    version: p.version, startedAt: Number(p.startedAtMs), finishedAt: Number(p.finishedAtMs), outcome: p.outcome as DeploymentOutcome,
    message: p.message, batch: p.batch,
  };
}
