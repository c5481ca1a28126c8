import type { ComponentResult, DeployOutcome, Progress, SyncChange } from "../model/index.ts";
import type { ServiceDef } from "../model/index.ts";
import type { AuditRecord, ComponentRecord, DeploymentRecord, EventRecord, ServiceRecord } from "../model/index.ts";

/**
 * The agent's API in domain terms. src/rpc/ converts it to and from the
 * generated messages; the agent implements it, the CLI calls it.
 */

export interface Target {
  service: string;
  /** "" = every component */
  component: string;
}

export interface DeployInput {
  service: ServiceDef;
  component: string;
  force: boolean;
  lockWaitMs: number;
}

export interface ServicesReport {
  node: string;
  services: ServiceRecord[];
}

export interface LiveComponent {
  service: string;
  component: string;
  containerName: string;
  state: string;
  image: string;
  version: string;
  /** Unix ms; 0 when not running */
  startedAt: number;
  desired: string;
  /** "" | healthy | unhealthy (SPEC §7.5); absent = "". */
  health?: string;
  unverified?: boolean;
}

export interface LiveReport {
  node: string;
  now: number;
  components: LiveComponent[];
}

export interface ComponentStatusView {
  service: string;
  component: string;
  desired: string;
  observed: string;
  version: string;
  drift: boolean;
  lastDeployment: DeploymentRecord | null;
  /** "" | healthy | unhealthy (SPEC §7.5); absent = "". */
  health?: string;
  /** A deploy was cut short by an agent crash (SPEC §7.7). */
  unverified?: boolean;
}

export interface StatusReport {
  node: string;
  components: ComponentStatusView[];
  events: EventRecord[];
  /** Deployments, newest first per component; empty unless asked for (historyLimit). */
  history: DeploymentRecord[];
}

export interface StatusQuery {
  /** "" = every service */
  service: string;
  eventLimit: number;
  /** Deployments per component to include in `history`; 0 or absent = none. */
  historyLimit?: number;
}

export interface NodeStatusReport {
  node: string;
  agentVersion: string;
  podmanVersion: string;
  services: number;
  components: number;
  /** Components whose container runs now (the live view). */
  running: number;
  srvRoot: string;
  diskTotalBytes: number;
  diskFreeBytes: number;
  memoryTotalBytes: number;
  /** Available memory (MemAvailable). */
  memoryFreeBytes: number;
  load1: number;
  cpus: number;
  uptimeMs: number;
  agentStartedAt: number;
  /** The agent certificate's expiry (Unix ms); 0 when unknown. */
  certNotAfter: number;
  now: number;
  /** Bytes `mcp node prune` would free now; absent when not computed. */
  reclaimableBytes?: number;
}

export interface SyncInput {
  services: ServiceDef[];
  dryRun: boolean;
  prune: boolean;
}

export interface SyncReport {
  node: string;
  changes: SyncChange[];
}

export interface AdoptInput {
  service: string;
  knownServices: string[];
}

export interface AdoptReport {
  node: string;
  components: ComponentRecord[];
}

export interface FileTarget {
  service: string;
  /** Relative to the service's directory. */
  path: string;
}

export interface PushHeader extends FileTarget {
  /** Permission bits of the sender's file; 0 = the agent's default. */
  mode: number;
}

export interface PushResult {
  size: number;
  sha256: string;
  mode: number;
}

/** One message of a pull: the first carries mode and size, the last the SHA-256. */
export interface PullChunk {
  data: Uint8Array;
  mode: number;
  size: number;
  sha256: string;
}

export interface LogsQuery extends Target {
  /** Lines per component from the end; 0 = all. */
  tail: number;
  follow: boolean;
  /** Only lines written at or after this time (Unix ms); 0 or absent = no limit. */
  since?: number;
}

export interface LogLine {
  component: string;
  /** One line, with its newline. */
  data: string;
  /** When the container wrote it (Unix ms); 0 or absent = unknown. */
  time?: number;
}

/** A secret's facts (SPEC §7.3); never its value. */
export interface SecretInfo {
  service: string;
  name: string;
  size: number;
  createdAt: number;
  updatedAt: number;
  /** Changes whenever the value does. */
  version: string;
  /** Recorded, but podman no longer has it (set it again). */
  missing?: boolean;
}

/** The first message of an exec (SPEC §7.4). */
export interface ExecStart extends Target {
  argv: string[];
  stdin: boolean;
  tty: boolean;
  cols: number;
  rows: number;
}

/** What the client sends after the start. */
export type ExecInput = { stdin: Uint8Array } | { resize: { cols: number; rows: number } } | { stdinEof: true };

/** What the agent sends: output, then the exit status last. */
export type ExecOutput = { stdout: Uint8Array } | { stderr: Uint8Array } | { exitCode: number };

export interface PrunedImage {
  id: string;
  names: string[];
  size: number;
}

export interface PruneReport {
  node: string;
  removed: PrunedImage[];
  reclaimedBytes: number;
  /** Kept because a rollback of a kept deployment needs them. */
  kept: PrunedImage[];
}

export interface SnapshotChunk {
  data: Uint8Array;
  /** In the last chunk only. */
  sha256: string;
  databases: string[];
  /** In the last chunk only: e.g. a symlink that leaves the directory, which a restore of this archive would refuse. */
  warnings?: string[];
}

export interface RestoreHeader {
  service: string;
  force: boolean;
}

export interface RestoreResult {
  size: number;
  databases: string[];
  restarted: string[];
}

export interface RollbackInput extends Target {
  lockWaitMs: number;
}

/** Who is calling, from where; handed to every handler. */
export interface CallContext {
  method: string;
  /** `services`: the services a scoped token may act on (empty = every service). */
  identity: { name: string; role: string; services?: readonly string[] };
  peer: string;
  signal: AbortSignal;
}

/** What the agent serves. Methods not listed answer UNIMPLEMENTED. */
export interface AgentApi {
  deploy(input: DeployInput, ctx: CallContext, progress: (p: Progress) => void): Promise<DeployOutcome>;
  stopService(target: Target, ctx: CallContext): Promise<ComponentResult[]>;
  startService(target: Target, ctx: CallContext): Promise<ComponentResult[]>;
  restartService(target: Target, ctx: CallContext): Promise<ComponentResult[]>;
  listServices(ctx: CallContext): Promise<ServicesReport>;
  liveCheck(ctx: CallContext): Promise<LiveReport>;
  getServiceStatus(req: StatusQuery, ctx: CallContext): Promise<StatusReport>;
  syncDesiredState(input: SyncInput, ctx: CallContext): Promise<SyncReport>;
  adoptContainers(input: AdoptInput, ctx: CallContext): Promise<AdoptReport>;
  nodeStatus(ctx: CallContext): Promise<NodeStatusReport>;
  /** The audit trail: the newest `limit` records since `since` (Unix ms), oldest first. */
  listAudit(req: { since: number; limit: number }, ctx: CallContext): Promise<{ node: string; records: AuditRecord[] }>;
  /** Streams the log lines of a service's (or one component's) containers; with follow until cancelled. */
  logs(req: LogsQuery, ctx: CallContext, send: (l: LogLine) => void): Promise<void>;
  /** Streams a tar.zst of the service's directory (SPEC §5.8); the last chunk carries the SHA-256. */
  snapshotService(req: { service: string }, ctx: CallContext, send: (c: SnapshotChunk) => Promise<void>): Promise<void>;
  /** Swaps in the service's directory from a streamed tar.zst once it is whole and verified. */
  restoreService(header: RestoreHeader, chunks: AsyncIterable<{ data: Uint8Array; sha256: string }>, ctx: CallContext): Promise<RestoreResult>;
  /** Writes a streamed file atomically under the service's directory; the last chunk carries the sender's SHA-256. */
  pushFile(header: PushHeader, chunks: AsyncIterable<{ data: Uint8Array; sha256: string }>, ctx: CallContext): Promise<PushResult>;
  /** Streams a file from under the service's directory; `send` resolves when the stream can take more. */
  pullFile(target: FileTarget, ctx: CallContext, send: (c: PullChunk) => Promise<void>): Promise<void>;
  /** Redeploys each selected component's previous successful deployment (SPEC §5.4). */
  rollback(input: RollbackInput, ctx: CallContext, progress: (p: Progress) => void): Promise<DeployOutcome>;
  /** Sends the newest `backlog` events, then (with follow) every new one until the call is cancelled. */
  watchEvents(req: { backlog: number; follow: boolean }, ctx: CallContext, send: (e: EventRecord) => void): Promise<void>;
  /** Creates or replaces a secret of a service (SPEC §7.3). */
  setSecret?(req: { service: string; name: string; value: Uint8Array }, ctx: CallContext): Promise<{ secret: SecretInfo; created: boolean }>;
  /** Secrets of one service ("" = every service): names, sizes, dates. */
  listSecrets?(req: { service: string }, ctx: CallContext): Promise<{ node: string; secrets: SecretInfo[] }>;
  removeSecret?(req: { service: string; name: string }, ctx: CallContext): Promise<void>;
  /** Runs a command in a running container; resolves with its exit status (SPEC §7.4). */
  exec?(start: ExecStart, input: AsyncIterable<ExecInput>, ctx: CallContext, send: (o: ExecOutput) => Promise<void>): Promise<number>;
  /** Removes images nothing needs (SPEC §7.6). */
  pruneImages?(req: { dryRun: boolean; keep: number }, ctx: CallContext): Promise<PruneReport>;
}
