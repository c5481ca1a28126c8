/**
 * The registry's records as the API hands them out (SPEC §4): services and
 * components with their deployed spec, deployments, events, audit entries.
 * The node's store keeps them in SQLite; the CLI shows them.
 */
import type { ComponentSpec, DesiredState, HealthState, ObservedState } from "./spec.ts";

/** One audited RPC (SPEC §5.2): time, method, identity, peer, outcome, duration. Never a token or content. */
export interface AuditRecord {
  id: number;
  time: number;
  method: string;
  identity: string;
  peer: string;
  /** The gRPC status name: OK, PERMISSION_DENIED, … */
  outcome: string;
  durationMs: number;
  /** What the call adds (an exec: `service/component [-it] ["argv", …] exit N`; never stdin); "" or absent for other calls. */
  detail?: string;
}

export type DeploymentOutcome = "pending" | "ok" | "failed" | "rolled_back";

/** One deploy of one component. */
export interface DeploymentRecord {
  id: number;
  service: string;
  component: string;
  spec: ComponentSpec;
  specHash: string;
  imageDigest: string;
  version: string;
  startedAt: number;
  finishedAt: number;
  outcome: DeploymentOutcome;
  message: string;
  /** The deploy or rollback call it belongs to (numbered per service; 0 = before batches were recorded). */
  batch: number;
}

/** One entry of the node's history. */
export interface EventRecord {
  id: number;
  time: number;
  service: string;
  component: string;
  kind: string;
  message: string;
}

/** The registry's record of one component: deployed spec, desired and observed state. */
export interface ComponentRecord {
  service: string;
  name: string;
  spec: ComponentSpec;
  specHash: string;
  desired: DesiredState;
  observed: ObservedState;
  version: string;
  imageDigest: string;
  containerId: string;
  containerName: string;
  observedAt: number;
  deployedAt: number;
  updatedAt: number;
  /** The probe's verdict (SPEC §7.5); absent = "". */
  health?: HealthState;
  /** A deploy was cut short by an agent crash (SPEC §7.7): the next deploy runs the gate again. */
  unverified?: boolean;
}

/** The registry's record of one service. */
export interface ServiceRecord {
  name: string;
  active: boolean;
  components: ComponentRecord[];
}
