import { create } from "@bufbuild/protobuf";
import {
  ComponentRecordSchema, ComponentResultSchema, ComponentSpecSchema, DeploymentSchema, EventSchema, ResultStatus as PbStatus,
  ServiceRecordSchema, ServiceSpecSchema,
  type ComponentRecord as PbComponentRecord, type ComponentResult as PbComponentResult, type ComponentSpec as PbComponentSpec,
  type Deployment as PbDeployment, type Event as PbEvent, type ServiceRecord as PbServiceRecord, type ServiceSpec as PbServiceSpec,
} from "../gen/mcp/v1/types_pb.ts";
import type { ComponentResult, ResultStatus } from "../model/index.ts";
import type { ComponentSpec, DesiredState, ObservedState, ServiceDef } from "../model/index.ts";
import type { ComponentRecord, DeploymentOutcome, DeploymentRecord, EventRecord, ServiceRecord } from "../model/index.ts";

/** Proto ⇄ domain conversion. Every generated type stays inside src/rpc/. */

export function specToProto(s: ComponentSpec): PbComponentSpec {
  return create(ComponentSpecSchema, {
    name: s.name, image: s.image, network: s.network, user: s.user, restart: s.restart,
    ports: s.ports, volumes: s.volumes, cmd: s.cmd, env: s.env,
    health: s.health ? { cmd: s.health.cmd, intervalMs: s.health.intervalMs, timeoutMs: s.health.timeoutMs, retries: s.health.retries } : undefined,
  });
}

export function specFromProto(p: PbComponentSpec | undefined): ComponentSpec {
  const s: ComponentSpec = {
    name: p?.name ?? "", image: p?.image ?? "", network: p?.network ?? "", user: p?.user ?? "", restart: p?.restart ?? "",
    ports: [...(p?.ports ?? [])], volumes: [...(p?.volumes ?? [])], cmd: [...(p?.cmd ?? [])], env: [...(p?.env ?? [])],
  };
  if (p?.health) s.health = { cmd: [...p.health.cmd], intervalMs: p.health.intervalMs, timeoutMs: p.health.timeoutMs, retries: p.health.retries };
  return s;
}

export function serviceDefToProto(d: ServiceDef): PbServiceSpec {
  return create(ServiceSpecSchema, { name: d.name, node: d.node, active: d.active, components: d.components.map(specToProto) });
}

export function serviceDefFromProto(p: PbServiceSpec | undefined): ServiceDef {
  return { name: p?.name ?? "", node: p?.node ?? "", active: p?.active ?? false, components: (p?.components ?? []).map(specFromProto) };
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
    observedAtMs: BigInt(c.observedAt), deployedAtMs: BigInt(c.deployedAt),
  });
}

export function componentRecordFromProto(service: string, p: PbComponentRecord): ComponentRecord {
  return {
    service, name: p.name, spec: specFromProto(p.spec), specHash: p.specHash, desired: p.desired as DesiredState,
    observed: p.observed as ObservedState, version: p.version, imageDigest: p.imageDigest, containerId: p.containerId,
    containerName: p.containerName, observedAt: Number(p.observedAtMs), deployedAt: Number(p.deployedAtMs), updatedAt: 0,
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
