import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  DeployRequestSchema, GetServiceStatusRequestSchema, ListServicesRequestSchema, LiveCheckRequestSchema,
  RestartServiceRequestSchema, StartServiceRequestSchema, StopServiceRequestSchema, WatchEventsRequestSchema,
  type DeployResponse, type GetServiceStatusResponse, type ListServicesResponse, type LiveCheckResponse,
  type RestartServiceResponse, type StartServiceResponse, type StopServiceResponse, type WatchEventsResponse,
} from "../gen/mcp/v1/agent_pb.ts";
import type { ComponentResult, DeployOutcome, Progress } from "../deploy/types.ts";
import { McpError } from "../lib/errors.ts";
import type { EventRecord } from "../store/index.ts";
import type { DeployInput, LiveReport, ServicesReport, StatusReport, Target } from "./api.ts";
import { deploymentFromProto, eventFromProto, resultFromProto, serviceDefToProto, serviceRecordFromProto } from "./convert.ts";
import { methodDesc, SERVICE_NAME } from "./service.ts";
import { fromServiceError } from "./status.ts";

export interface AgentClientOptions {
  /** The node's name, for messages. */
  node: string;
  /** host:port (an IP address is fine) */
  address: string;
  caPem: string;
  /** The DNS name to verify in the agent's certificate. */
  serverName: string;
  token: string;
  /** Optional client certificate (mutual TLS). */
  certPem?: string;
  keyPem?: string;
  /** Deadline of read calls (ms). */
  timeoutMs?: number;
}

/** A connection to one agent, in domain terms. */
export interface AgentClient {
  readonly node: string;
  deploy(input: DeployInput, onProgress: (p: Progress) => void, timeoutMs?: number): Promise<DeployOutcome>;
  stopService(target: Target): Promise<ComponentResult[]>;
  startService(target: Target): Promise<ComponentResult[]>;
  restartService(target: Target): Promise<ComponentResult[]>;
  listServices(): Promise<ServicesReport>;
  liveCheck(): Promise<LiveReport>;
  getServiceStatus(req: { service: string; eventLimit: number }): Promise<StatusReport>;
  /** Streams events (backlog first); with follow it runs until `signal` aborts (then resolves). */
  watchEvents(req: { backlog: number; follow: boolean }, onEvent: (e: EventRecord) => void, signal?: AbortSignal): Promise<void>;
  close(): void;
}

/**
 * Dials an agent over TLS. The address may be an IP: the certificate is
 * verified against `serverName` (grpc-js under Bun cannot verify a TLS
 * connection to an IP otherwise — see BUN-NOTES).
 */
export function createAgentClient(o: AgentClientOptions): AgentClient {
  const creds = grpc.credentials.createSsl(
    Buffer.from(o.caPem),
    o.keyPem ? Buffer.from(o.keyPem) : null,
    o.certPem ? Buffer.from(o.certPem) : null,
  );
  const client = new grpc.Client(o.address, creds, {
    "grpc.ssl_target_name_override": o.serverName,
    "grpc.default_authority": o.serverName,
    "grpc.max_receive_message_length": 8 * 1024 * 1024,
  });
  const timeoutMs = o.timeoutMs ?? 15_000;

  const metadata = () => {
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${o.token}`);
    return md;
  };

  function call<Res>(name: string, req: MessageShape<DescMessage>, ms = timeoutMs): Promise<Res> {
    const m = methodDesc(name);
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        `/${SERVICE_NAME}/${name}`,
        (msg: MessageShape<DescMessage>) => Buffer.from(toBinary(m.input, msg)),
        (buf: Buffer) => fromBinary(m.output, buf) as Res,
        req,
        metadata(),
        { deadline: Date.now() + ms },
        (err, res) => (err ? reject(fromServiceError(err, o.node)) : resolve(res as Res)),
      );
    });
  }

  function stream<Res>(name: string, req: MessageShape<DescMessage>, ms: number, onMessage: (r: Res) => void, signal?: AbortSignal): Promise<void> {
    const m = methodDesc(name);
    return new Promise((resolve, reject) => {
      const s = client.makeServerStreamRequest(
        `/${SERVICE_NAME}/${name}`,
        (msg: MessageShape<DescMessage>) => Buffer.from(toBinary(m.input, msg)),
        (buf: Buffer) => fromBinary(m.output, buf) as Res,
        req,
        metadata(),
        { deadline: ms === Infinity ? Infinity : Date.now() + ms },
      );
      // Leaving a grpc-js stream early does not cancel it: cancel explicitly.
      const onAbort = () => s.cancel();
      signal?.addEventListener("abort", onAbort, { once: true });
      s.on("data", (r: Res) => onMessage(r));
      s.on("error", (err: grpc.ServiceError) => {
        signal?.removeEventListener("abort", onAbort);
        if (signal?.aborted && err.code === grpc.status.CANCELLED) resolve();
        else reject(fromServiceError(err, o.node));
      });
      s.on("end", () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      });
    });
  }

  const results = (r: { results: Parameters<typeof resultFromProto>[0][] }) => r.results.map(resultFromProto);

  return {
    node: o.node,
    async deploy(input, onProgress, ms = 30 * 60_000) {
      let outcome: DeployOutcome | null = null;
      const req = create(DeployRequestSchema, {
        service: serviceDefToProto(input.service), component: input.component, force: input.force, lockWaitMs: input.lockWaitMs,
      });
      await stream<DeployResponse>("Deploy", req, ms, (r) => {
        if (r.kind.case === "progress") onProgress({ component: r.kind.value.component, message: r.kind.value.message });
        else if (r.kind.case === "result") outcome = { results: r.kind.value.results.map(resultFromProto), warnings: r.kind.value.warnings };
      });
      if (!outcome) throw new McpError("internal", `node ${o.node}: the deploy ended without a result`, "run mcp status to see what happened");
      return outcome;
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
          version: c.version, startedAt: Number(c.startedAtMs), desired: c.desired,
        })),
      };
    },
    async getServiceStatus(req) {
      const r = await call<GetServiceStatusResponse>("GetServiceStatus", create(GetServiceStatusRequestSchema, req));
      return {
        node: r.node,
        components: r.components.map((c) => ({
          service: c.service, component: c.component, desired: c.desired, observed: c.observed, version: c.version, drift: c.drift,
          lastDeployment: c.lastDeployment ? deploymentFromProto(c.lastDeployment) : null,
        })),
        events: r.events.map(eventFromProto),
      };
    },
    async watchEvents(req, onEvent, signal) {
      await stream<WatchEventsResponse>("WatchEvents", create(WatchEventsRequestSchema, req), req.follow ? Infinity : timeoutMs, (r) => {
        if (r.event) onEvent(eventFromProto(r.event));
      }, signal);
    },
    close: () => client.close(),
  };
}
