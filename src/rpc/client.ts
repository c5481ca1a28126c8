import { createHash } from "node:crypto";
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import {
  AdoptContainersRequestSchema, ListAuditRequestSchema, RestoreServiceRequestSchema, SnapshotServiceRequestSchema, LogsRequestSchema, PullFileRequestSchema, PushFileRequestSchema, DeployRequestSchema, NodeStatusRequestSchema, SyncDesiredStateRequestSchema, GetServiceStatusRequestSchema, ListServicesRequestSchema, LiveCheckRequestSchema,
  RestartServiceRequestSchema, RollbackRequestSchema, StartServiceRequestSchema, StopServiceRequestSchema, WatchEventsRequestSchema,
  SetSecretRequestSchema, ListSecretsRequestSchema, RemoveSecretRequestSchema, PruneImagesRequestSchema,
  type SetSecretResponse, type ListSecretsResponse, type PruneImagesResponse, type SecretInfo as PbSecretInfo, type PrunedImage as PbPrunedImage,
  type AdoptContainersResponse, type ListAuditResponse, type RestoreServiceResponse, type SnapshotServiceResponse, type LogsResponse, type PullFileResponse, type PushFileResponse, type DeployResponse, type NodeStatusResponse, type SyncDesiredStateResponse, type GetServiceStatusResponse, type ListServicesResponse, type LiveCheckResponse,
  type RestartServiceResponse, type RollbackResponse, type StartServiceResponse, type StopServiceResponse, type WatchEventsResponse,
} from "../gen/mcp/v1/agent_pb.ts";
import type { ComponentResult, DeployOutcome, Progress } from "../model/index.ts";
import { McpError } from "../lib/errors.ts";
import type { AuditRecord, EventRecord } from "../model/index.ts";
import type {
  AdoptInput, AdoptReport, DeployInput, RestoreHeader, RestoreResult, SnapshotChunk, LogLine, LogsQuery, FileTarget, PullChunk, PushHeader, PushResult, LiveReport, NodeStatusReport, RollbackInput, ServicesReport, StatusQuery, StatusReport, SyncInput,
  SyncReport, Target, SecretInfo, PruneReport, PrunedImage,
} from "./api.ts";
import { componentRecordFromProto, deploymentFromProto, eventFromProto, resultFromProto, serviceDefToProto, serviceRecordFromProto } from "./convert.ts";
import { createH2Transport, type H2Options } from "./_h2.ts";
import { createUnaryTransport, MAX_REQUEST } from "./_unary.ts";
import { methodDesc } from "./service.ts";
import { execCall, type ExecChunk } from "./_client-exec.ts";
import type { ExecInput, ExecStart } from "./api.ts";

/** Where and how to reach one agent (see H2Options), plus the deadline of read calls (ms). */
export interface AgentClientOptions extends H2Options {
  timeoutMs?: number;
}

/** The deadline of a file transfer (a day: big files over slow links). */
const TRANSFER_MS = 24 * 3_600_000;

/** A connection to one agent, in domain terms. */
export interface AgentClient {
  readonly node: string;
  deploy(input: DeployInput, onProgress: (p: Progress) => void, timeoutMs?: number): Promise<DeployOutcome>;
  stopService(target: Target): Promise<ComponentResult[]>;
  startService(target: Target): Promise<ComponentResult[]>;
  restartService(target: Target): Promise<ComponentResult[]>;
  listServices(): Promise<ServicesReport>;
  liveCheck(): Promise<LiveReport>;
  getServiceStatus(req: StatusQuery): Promise<StatusReport>;
  rollback(input: RollbackInput, onProgress: (p: Progress) => void, timeoutMs?: number): Promise<DeployOutcome>;
  syncDesiredState(input: SyncInput): Promise<SyncReport>;
  adoptContainers(input: AdoptInput): Promise<AdoptReport>;
  nodeStatus(): Promise<NodeStatusReport>;
  listAudit(req: { since: number; limit: number }): Promise<{ node: string; records: AuditRecord[] }>;
  /** Streams a snapshot of the service's directory to onChunk (the last chunk carries the SHA-256). */
  snapshotService(req: { service: string }, onChunk: (c: SnapshotChunk) => void, signal?: AbortSignal): Promise<void>;
  /** Streams an archive to the agent, which swaps it in once whole and verified; the SHA-256 is computed here. */
  restoreService(header: RestoreHeader, source: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<RestoreResult>;
  /** Streams log lines; with follow it runs until `signal` aborts (then resolves). */
  logs(req: LogsQuery, onLine: (l: LogLine) => void, signal?: AbortSignal): Promise<void>;
  /** Streams `source` to a file under the service's directory; the SHA-256 is computed here and checked there. */
  pushFile(header: PushHeader, source: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<PushResult>;
  /** Streams a file from under the service's directory to onChunk (the first chunk carries mode and size, the last the SHA-256). */
  pullFile(target: FileTarget, onChunk: (c: PullChunk) => void, signal?: AbortSignal): Promise<void>;
  /** Streams events (backlog first); with follow it runs until `signal` aborts (then resolves). */
  watchEvents(req: { backlog: number; follow: boolean }, onEvent: (e: EventRecord) => void, signal?: AbortSignal): Promise<void>;
  setSecret(req: { service: string; name: string; value: Uint8Array }): Promise<{ secret: SecretInfo; created: boolean }>;
  listSecrets(req: { service: string }): Promise<{ node: string; secrets: SecretInfo[] }>;
  removeSecret(req: { service: string; name: string }): Promise<void>;
  pruneImages(req: { dryRun: boolean; keep: number }): Promise<PruneReport>;
  /** Runs a command in a running container (SPEC §7.4); resolves with its exit status. See _client-exec.ts. */
  exec(start: ExecStart, input: AsyncIterable<ExecInput>, onOutput: (o: ExecChunk) => void | Promise<void>, signal?: AbortSignal): Promise<number>;
  close(): void;
}

const secretFrom = (s: PbSecretInfo | undefined): SecretInfo => ({
  service: s?.service ?? "", name: s?.name ?? "", size: Number(s?.size ?? 0), createdAt: Number(s?.createdAtMs ?? 0),
  updatedAt: Number(s?.updatedAtMs ?? 0), version: s?.version ?? "", ...(s?.missing ? { missing: true } : {}),
});
const imageFrom = (i: PbPrunedImage): PrunedImage => ({ id: i.id, names: [...i.names], size: Number(i.size) });

/**
 * Dials an agent over TLS 1.3 (HTTP/2, see _h2.ts). The address may be an
 * IP: the certificate is verified against `serverName`.
 */
export function createAgentClient(o: AgentClientOptions): AgentClient {
  const transport = createH2Transport(o);
  const timeoutMs = o.timeoutMs ?? 15_000;

  // Unary calls with a small request go over _unary.ts (much cheaper per connection); the rest over node:http2.
  const unary = createUnaryTransport(o);

  async function call<Res>(name: string, req: MessageShape<DescMessage>, ms = timeoutMs): Promise<Res> {
    const m = methodDesc(name);
    const body = toBinary(m.input, req);
    if (m.methodKind === "unary" && body.length <= MAX_REQUEST) return fromBinary(m.output, await unary.call(name, body, ms)) as Res;
    let res: Res | undefined;
    await transport.call(name, req, ms, (r) => (res = r as Res));
    if (res === undefined) throw new McpError("internal", `node ${o.node}: ${name} answered without a message`, "check the agent's log");
    return res;
  }

  function stream<Res>(name: string, req: MessageShape<DescMessage>, ms: number, onMessage: (r: Res) => void, signal?: AbortSignal): Promise<void> {
    return transport.call(name, req, ms, (m) => onMessage(m as Res), signal);
  }

  /**
   * A client-streamed upload (PushFile, RestoreService): the header with the
   * first chunk, the data, and the SHA-256 computed here in the last message.
   */
  async function upload<Res>(
    name: string, what: string, make: (m: Record<string, unknown>) => MessageShape<DescMessage>,
    header: object, source: AsyncIterable<Uint8Array>, signal?: AbortSignal,
  ): Promise<Res> {
    const hash = createHash("sha256");
    async function* messages() {
      let first = true;
      for await (const data of source) {
        hash.update(data);
        yield make(first ? { ...header, data } : { data });
        first = false;
      }
      const sha256 = hash.digest("hex");
      yield make(first ? { ...header, sha256 } : { sha256 });
    }
    let res: Res | undefined;
    await transport.call(name, messages(), TRANSFER_MS, (m) => (res = m as Res), signal);
    if (signal?.aborted) throw new McpError("aborted", `the ${what} was cancelled`);
    if (!res) throw new McpError("internal", `node ${o.node}: ${name} answered without a message`, "check the agent's log");
    return res;
  }

  /** Deploy and Rollback: progress messages, then one result. */
  async function deployLike<Res extends DeployResponse | RollbackResponse>(
    name: string, what: string, req: MessageShape<DescMessage>, ms: number, onProgress: (p: Progress) => void,
  ): Promise<DeployOutcome> {
    let outcome: DeployOutcome | null = null;
    await stream<Res>(name, req, ms, (r) => {
      if (r.kind.case === "progress") onProgress({ component: r.kind.value.component, message: r.kind.value.message });
      else if (r.kind.case === "result") outcome = { results: r.kind.value.results.map(resultFromProto), warnings: r.kind.value.warnings };
    });
    if (!outcome) throw new McpError("internal", `node ${o.node}: the ${what} ended without a result`, "run mcp status to see what happened");
    return outcome;
  }

  const results = (r: { results: Parameters<typeof resultFromProto>[0][] }) => r.results.map(resultFromProto);

  return {
    node: o.node,
    async deploy(input, onProgress, ms = 30 * 60_000) {
      const req = create(DeployRequestSchema, {
        service: serviceDefToProto(input.service), component: input.component, force: input.force, lockWaitMs: input.lockWaitMs,
      });
      return deployLike<DeployResponse>("Deploy", "deploy", req, ms, onProgress);
    },
    async rollback(input, onProgress, ms = 30 * 60_000) {
      return deployLike<RollbackResponse>("Rollback", "rollback", create(RollbackRequestSchema, input), ms, onProgress);
    },
    async syncDesiredState(input) {
      const r = await call<SyncDesiredStateResponse>("SyncDesiredState", create(SyncDesiredStateRequestSchema, {
        services: input.services.map(serviceDefToProto), dryRun: input.dryRun, prune: input.prune,
      }), 10 * 60_000);
      return { node: r.node, changes: r.changes.map((c) => ({ service: c.service, component: c.component, what: c.what, done: c.done })) };
    },
    async adoptContainers(input) {
      const r = await call<AdoptContainersResponse>("AdoptContainers", create(AdoptContainersRequestSchema, input), 120_000);
      return { node: r.node, components: r.components.map((c) => componentRecordFromProto(input.service, c)) };
    },
    async logs(req, onLine, signal) {
      const decoder = new TextDecoder();
      const msg = create(LogsRequestSchema, { service: req.service, component: req.component, tail: req.tail, follow: req.follow, sinceMs: BigInt(req.since ?? 0) });
      await stream<LogsResponse>("Logs", msg, req.follow ? Infinity : 120_000, (r) =>
        onLine({ component: r.component, data: decoder.decode(r.data), time: Number(r.timeMs) }), signal);
    },
    async snapshotService(req, onChunk, signal) {
      await stream<SnapshotServiceResponse>("SnapshotService", create(SnapshotServiceRequestSchema, req), TRANSFER_MS, (r) =>
        onChunk({ data: r.data, sha256: r.sha256, databases: r.databases, warnings: r.warnings }), signal);
    },
    async restoreService(header, source, signal) {
      const res = await upload<RestoreServiceResponse>("RestoreService", "restore", (m) => create(RestoreServiceRequestSchema, m), header, source, signal);
      return { size: Number(res.size), databases: res.databases, restarted: res.restarted };
    },
    async pushFile(header, source, signal) {
      const res = await upload<PushFileResponse>("PushFile", "push", (m) => create(PushFileRequestSchema, m), header, source, signal);
      return { size: Number(res.size), sha256: res.sha256, mode: res.mode };
    },
    async pullFile(target, onChunk, signal) {
      await stream<PullFileResponse>("PullFile", create(PullFileRequestSchema, target), TRANSFER_MS, (r) =>
        onChunk({ data: r.data, mode: r.mode, size: Number(r.size), sha256: r.sha256 }), signal);
    },
    async listAudit(req) {
      const r = await call<ListAuditResponse>("ListAudit", create(ListAuditRequestSchema, { sinceMs: BigInt(req.since), limit: req.limit }));
      return {
        node: r.node,
        records: r.records.map((a, i) => ({
          id: i, time: Number(a.timeMs), method: a.method, identity: a.identity, peer: a.peer, outcome: a.outcome, durationMs: a.durationMs, detail: a.detail,
        })),
      };
    },
    async nodeStatus() {
      const r = await call<NodeStatusResponse>("NodeStatus", create(NodeStatusRequestSchema));
      return {
        node: r.node, agentVersion: r.agentVersion, podmanVersion: r.podmanVersion, services: r.services, components: r.components,
        running: r.running, srvRoot: r.srvRoot, diskTotalBytes: Number(r.diskTotalBytes), diskFreeBytes: Number(r.diskFreeBytes),
        memoryTotalBytes: Number(r.memoryTotalBytes), memoryFreeBytes: Number(r.memoryFreeBytes), load1: r.load1, cpus: r.cpus,
        uptimeMs: Number(r.uptimeMs), agentStartedAt: Number(r.agentStartedAtMs), certNotAfter: Number(r.certNotAfterMs), now: Number(r.nowMs),
        reclaimableBytes: Number(r.reclaimableBytes),
      };
    },
    stopService: async (t) => results(await call<StopServiceResponse>("StopService", create(StopServiceRequestSchema, t), 120_000)),
    startService: async (t) => results(await call<StartServiceResponse>("StartService", create(StartServiceRequestSchema, t), 120_000)),
    restartService: async (t) => results(await call<RestartServiceResponse>("RestartService", create(RestartServiceRequestSchema, t), 120_000)),
    async listServices() {
      const r = await call<ListServicesResponse>("ListServices", create(ListServicesRequestSchema));
      return { node: r.node, services: r.services.map(serviceRecordFromProto) };
    },
    async liveCheck() {
      const r = await call<LiveCheckResponse>("LiveCheck", create(LiveCheckRequestSchema));
      return {
        node: r.node,
        now: Number(r.nowMs),
        components: r.components.map((c) => ({
          service: c.service, component: c.component, containerName: c.containerName, state: c.state, image: c.image,
          version: c.version, startedAt: Number(c.startedAtMs), desired: c.desired, health: c.health, unverified: c.unverified,
        })),
      };
    },
    async getServiceStatus(req) {
      const r = await call<GetServiceStatusResponse>("GetServiceStatus", create(GetServiceStatusRequestSchema, req));
      return {
        node: r.node,
        components: r.components.map((c) => ({
          service: c.service, component: c.component, desired: c.desired, observed: c.observed, version: c.version, drift: c.drift,
          health: c.health, unverified: c.unverified,
          lastDeployment: c.lastDeployment ? deploymentFromProto(c.lastDeployment) : null,
        })),
        events: r.events.map(eventFromProto),
        history: r.history.map(deploymentFromProto),
      };
    },
    async watchEvents(req, onEvent, signal) {
      await stream<WatchEventsResponse>("WatchEvents", create(WatchEventsRequestSchema, req), req.follow ? Infinity : timeoutMs, (r) => {
        if (r.event) onEvent(eventFromProto(r.event));
      }, signal);
    },
    async setSecret(req) {
      const r = await call<SetSecretResponse>("SetSecret", create(SetSecretRequestSchema, req));
      return { secret: secretFrom(r.secret), created: r.created };
    },
    async listSecrets(req) {
      const r = await call<ListSecretsResponse>("ListSecrets", create(ListSecretsRequestSchema, req));
      return { node: r.node, secrets: r.secrets.map(secretFrom) };
    },
    async removeSecret(req) {
      await call("RemoveSecret", create(RemoveSecretRequestSchema, req));
    },
    async pruneImages(req) {
      const r = await call<PruneImagesResponse>("PruneImages", create(PruneImagesRequestSchema, req), 600_000);
      return { node: r.node, removed: r.removed.map(imageFrom), kept: r.kept.map(imageFrom), reclaimedBytes: Number(r.reclaimedBytes) };
    },
    exec: (start, input, onOutput, signal) => execCall(transport, o.node, start, input, onOutput, signal),
    close: () => {
      unary.close();
      transport.close();
    },
  };
}
