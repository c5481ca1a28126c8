import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  AdoptContainersResponseSchema, ListAuditResponseSchema, RestoreServiceResponseSchema, SnapshotServiceResponseSchema, LogsResponseSchema, PullFileResponseSchema, PushFileResponseSchema, DeployResponseSchema, NodeStatusResponseSchema, SyncDesiredStateResponseSchema, GetServiceStatusResponseSchema, WatchEventsResponseSchema, ListServicesResponseSchema, LiveCheckResponseSchema,
  RestartServiceResponseSchema, RollbackResponseSchema, StartServiceResponseSchema, StopServiceResponseSchema,
  SetSecretResponseSchema, ListSecretsResponseSchema, RemoveSecretResponseSchema, PruneImagesResponseSchema,
  type SetSecretRequest, type ListSecretsRequest, type RemoveSecretRequest, type PruneImagesRequest,
  type AdoptContainersRequest, type ListAuditRequest, type RestoreServiceRequest, type SnapshotServiceRequest, type LogsRequest, type PullFileRequest, type PushFileRequest, type DeployRequest, type SyncDesiredStateRequest, type GetServiceStatusRequest, type WatchEventsRequest, type RestartServiceRequest, type RollbackRequest, type StartServiceRequest, type StopServiceRequest,
} from "../gen/mcp/v1/agent_pb.ts";
import { assertInScope } from "./scope.ts";
import { McpError } from "../lib/errors.ts";
import type { Logger } from "../lib/log.ts";
import type { AuditRecord } from "../model/index.ts";
import type { AgentApi, CallContext } from "./api.ts";
import {
  componentRecordToProto, deploymentToProto, eventToProto, resultToProto, serviceDefFromProto, serviceRecordToProto,
} from "./convert.ts";
import { grpcServiceDefinition, listRpcMethods } from "./service.ts";
import { toServiceError } from "./_server-status.ts";
import { listen, widenFlowControl } from "./_flow.ts";
import { checkFirstMessage, scopeAnswer } from "./_scope.ts";
import { readStream, splitHeader, writeWithBackpressure } from "./_streams.ts";
import { GRPC, statusName } from "./status.ts";
import { need, secretToProto } from "./_server-more.ts";
import { execHandler, type AuditNote } from "./_bidi.ts";

export { listen };

/** One audited call: an audit record before the registry gives it an id, and what the call adds (an exec's argv and status). */
export type AuditEntry = Omit<AuditRecord, "id">;

/** Who is calling: a token's name and role, and the services it may act on (empty = every service). */
export interface Caller {
  name: string;
  role: string;
  services: readonly string[];
}

/** Counts refused (UNAUTHENTICATED) calls per peer: whether to audit this one, and how long to hold its answer back. */
export interface RefusalCounter {
  refuse(peer: string, method: string): { record: boolean; delayMs: number };
  /** A held answer was sent. */
  release(): void;
}

export interface RpcServerOptions {
  api: AgentApi;
  /** Checks the bearer token (null when absent) for a method; returns the caller or throws McpError. */
  authenticate(token: string | null, method: string): Promise<Caller>;
  audit(entry: AuditEntry): void;
  /** Counts UNAUTHENTICATED calls per peer: only what it says to record is audited, and answers wait as it says. */
  flood?: RefusalCounter;
  log: Logger;
}

type Call =
  | grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown> | grpc.ServerReadableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;

/** The audit identity of a failed call: the token's name when authorization refused it, else who was known. */
function refusedAs(err: unknown, who: string): string {
  return who === "-" && err instanceof McpError && err.identity ? err.identity : who;
}

function bearer(md: grpc.Metadata): string | null {
  const v = md.get("authorization")[0];
  if (typeof v !== "string") return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(v);
  return m ? m[1]! : null;
}


/**
 * Builds the grpc-js server for the agent: every RPC of the descriptor is
 * authenticated, authorized and audited here; implemented ones are handed to
 * `api` in domain terms, the rest answer UNIMPLEMENTED.
 */
export function createRpcServer(opts: RpcServerOptions): grpc.Server {
  const server = new grpc.Server({ "grpc.max_receive_message_length": 8 * 1024 * 1024 });
  const { api, log } = opts;
  const untuned = widenFlowControl(server);
  if (untuned.length > 0) {
    log.warn("HTTP/2 flow control not tuned: this grpc-js lacks the private fields mcp sets; transfers will be slower", {
      missing: untuned.join(","),
      hint: "run the grpc-js version package.json pins (see docs/DECISIONS.md)",
    });
  }

  /**
   * Audits a call and returns the status to send and how long to hold it
   * back: an UNAUTHENTICATED one is audited only when the flood limiter says
   * so (the first of its peer's window), and may have to wait.
   */
  function finish(method: string, started: number, identity: string, peer: string, err: unknown, detail = ""): { se: Partial<grpc.ServiceError> | null; delayMs: number } {
    const se = err === undefined ? null : toServiceError(err);
    if (err !== undefined && !(err instanceof McpError)) {
      log.error("internal error", { method, error: err instanceof Error ? err.stack ?? err.message : String(err) });
    }
    const code = se ? se.code ?? GRPC.UNKNOWN : GRPC.OK;
    const verdict = code === GRPC.UNAUTHENTICATED && opts.flood ? opts.flood.refuse(peer, method) : { record: true, delayMs: 0 };
    if (verdict.record) opts.audit({ time: started, method, identity, peer, outcome: statusName(code), durationMs: Date.now() - started, ...(detail ? { detail } : {}) });
    return { se, delayMs: verdict.delayMs };
  }

  /**
   * The frame of every call: authenticate and authorize, run the work with a
   * signal that aborts when the client cancels, audit the outcome, and hand
   * `done` the result or the status to send (`refused` runs first, at once,
   * even when the status is held back).
   */
  function serve<T>(
    method: string, call: Call, work: (ctx: CallContext, me: Caller, note: AuditNote) => Promise<T>,
    done: (err: Partial<grpc.ServiceError> | null, res?: T) => void, refused?: () => void,
  ): void {
    const started = Date.now();
    const ac = new AbortController();
    (call as grpc.ServerUnaryCall<unknown, unknown>).on("cancelled", () => ac.abort());
    let who = "-";
    const note: AuditNote = { detail: "" };
    (async () => {
      const me = await opts.authenticate(bearer(call.metadata), method);
      who = me.name;
      return work({ method, identity: me, peer: call.getPeer(), signal: ac.signal }, me, note);
    })().then(
      (res) => {
        finish(method, started, who, call.getPeer(), undefined, note.detail);
        done(null, res);
      },
      (err) => {
        const { se, delayMs } = finish(method, started, refusedAs(err, who), call.getPeer(), err, note.detail);
        refused?.();
        if (delayMs <= 0) return done(se);
        // A timer, not a wait in line: other calls (and this peer's valid ones) go on meanwhile.
        setTimeout(() => {
          opts.flood?.release();
          done(se);
        }, delayMs);
      },
    );
  }

  /** A handler of one request: checked against the caller's service scope before `fn` sees it. */
  function unary<Req, Res>(method: string, fn: (req: Req, ctx: CallContext) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) =>
      serve(method, call as Call, async (ctx, me) => {
        assertInScope(me, method, call.request);
        return scopeAnswer(me, method, await fn(call.request, ctx));
      }, (err, res) => (err ? callback(err) : callback(null, res)));
  }

  /** A handler whose request is a stream: authenticated before any message is read, its first message scope-checked. */
  function clientStream<Req, Res>(method: string, fn: (messages: AsyncIterable<Req>, ctx: CallContext) => Promise<Res>): grpc.handleClientStreamingCall<Req, Res> {
    return (call, callback) =>
      serve(
        method, call as Call,
        async (ctx, me) => scopeAnswer(me, method, await fn(checkFirstMessage(me, method, readStream<Req>(call as AsyncIterable<Req>)), ctx)),
        (err, res) => (err ? callback(err) : callback(null, res ?? undefined)),
        // Whatever is still coming is read and dropped, so the client sees the status, not a stalled window.
        () => call.resume(),
      );
  }

  /** A handler that answers with a stream: the request is scope-checked, each message filtered to the caller's scope. */
  function serverStream<Req, Res>(method: string, fn: (req: Req, ctx: CallContext, write: (r: Res) => Promise<void>) => Promise<void>): grpc.handleServerStreamingCall<Req, Res> {
    return (call) =>
      serve(
        method,
        call as Call,
        (ctx, me) => {
          assertInScope(me, method, call.request);
          return fn(call.request, ctx, (r) => {
            const m = scopeAnswer(me, method, r);
            return m === null ? Promise.resolve() : writeWithBackpressure(call as grpc.ServerWritableStream<unknown, unknown>, m);
          });
        },
        (err) => (err ? call.emit("error", err) : call.end()),
      );
  }

  const handlers: Record<string, grpc.UntypedHandleCall> = {
    Deploy: serverStream<DeployRequest, unknown>("Deploy", async (req, ctx, write) => {
      const out = await api.deploy(
        { service: serviceDefFromProto(req.service), component: req.component, force: req.force, lockWaitMs: req.lockWaitMs },
        ctx,
        (p) => write(create(DeployResponseSchema, { kind: { case: "progress", value: p } })),
      );
      write(create(DeployResponseSchema, { kind: { case: "result", value: { results: out.results.map(resultToProto), warnings: out.warnings } } }));
    }),
    Rollback: serverStream<RollbackRequest, unknown>("Rollback", async (req, ctx, write) => {
      const out = await api.rollback(
        { service: req.service, component: req.component, lockWaitMs: req.lockWaitMs },
        ctx,
        (p) => write(create(RollbackResponseSchema, { kind: { case: "progress", value: p } })),
      );
      write(create(RollbackResponseSchema, { kind: { case: "result", value: { results: out.results.map(resultToProto), warnings: out.warnings } } }));
    }),
    SyncDesiredState: unary("SyncDesiredState", async (req: SyncDesiredStateRequest, ctx) => {
      const r = await api.syncDesiredState({ services: req.services.map(serviceDefFromProto), dryRun: req.dryRun, prune: req.prune }, ctx);
      return create(SyncDesiredStateResponseSchema, { node: r.node, changes: r.changes });
    }),
    AdoptContainers: unary("AdoptContainers", async (req: AdoptContainersRequest, ctx) => {
      const r = await api.adoptContainers({ service: req.service, knownServices: req.knownServices }, ctx);
      return create(AdoptContainersResponseSchema, { node: r.node, components: r.components.map(componentRecordToProto) });
    }),
    ListAudit: unary("ListAudit", async (req: ListAuditRequest, ctx) => {
      const r = await api.listAudit({ since: Number(req.sinceMs), limit: req.limit }, ctx);
      return create(ListAuditResponseSchema, {
        node: r.node,
        records: r.records.map((a) => ({ timeMs: BigInt(a.time), method: a.method, identity: a.identity, peer: a.peer, outcome: a.outcome, durationMs: a.durationMs, detail: a.detail ?? "" })),
      });
    }),
    NodeStatus: unary("NodeStatus", async (_req: unknown, ctx) => {
      const r = await api.nodeStatus(ctx);
      return create(NodeStatusResponseSchema, {
        ...r,
        diskTotalBytes: BigInt(r.diskTotalBytes), diskFreeBytes: BigInt(r.diskFreeBytes),
        memoryTotalBytes: BigInt(r.memoryTotalBytes), memoryFreeBytes: BigInt(r.memoryFreeBytes),
        uptimeMs: BigInt(r.uptimeMs), agentStartedAtMs: BigInt(r.agentStartedAt), certNotAfterMs: BigInt(r.certNotAfter), nowMs: BigInt(r.now),
        reclaimableBytes: BigInt(r.reclaimableBytes ?? 0),
      });
    }),
    PushFile: clientStream<PushFileRequest, unknown>("PushFile", async (messages, ctx) => {
      const { head, chunks } = await splitHeader(messages, "push");
      const r = await api.pushFile({ service: head.service, path: head.path, mode: head.mode }, chunks, ctx);
      return create(PushFileResponseSchema, { size: BigInt(r.size), sha256: r.sha256, mode: r.mode });
    }),
    Logs: serverStream<LogsRequest, unknown>("Logs", (req, ctx, write) =>
      api.logs({ service: req.service, component: req.component, tail: req.tail, follow: req.follow, since: Number(req.sinceMs) }, ctx, (l) =>
        void write(create(LogsResponseSchema, { component: l.component, data: new TextEncoder().encode(l.data), timeMs: BigInt(l.time ?? 0) })))),
    SnapshotService: serverStream<SnapshotServiceRequest, unknown>("SnapshotService", (req, ctx, write) =>
      api.snapshotService({ service: req.service }, ctx, (c) => write(create(SnapshotServiceResponseSchema, c)))),
    RestoreService: clientStream<RestoreServiceRequest, unknown>("RestoreService", async (messages, ctx) => {
      const { head, chunks } = await splitHeader(messages, "restore");
      const r = await api.restoreService({ service: head.service, force: head.force }, chunks, ctx);
      return create(RestoreServiceResponseSchema, { size: BigInt(r.size), databases: r.databases, restarted: r.restarted });
    }),
    PullFile: serverStream<PullFileRequest, unknown>("PullFile", (req, ctx, write) =>
      api.pullFile({ service: req.service, path: req.path }, ctx, (c) =>
        write(create(PullFileResponseSchema, { data: c.data, mode: c.mode, sha256: c.sha256, size: BigInt(c.size) })))),
    StopService: unary("StopService", async (req: StopServiceRequest, ctx) =>
      create(StopServiceResponseSchema, { results: (await api.stopService(req, ctx)).map(resultToProto) })),
    StartService: unary("StartService", async (req: StartServiceRequest, ctx) =>
      create(StartServiceResponseSchema, { results: (await api.startService(req, ctx)).map(resultToProto) })),
    RestartService: unary("RestartService", async (req: RestartServiceRequest, ctx) =>
      create(RestartServiceResponseSchema, { results: (await api.restartService(req, ctx)).map(resultToProto) })),
    ListServices: unary("ListServices", async (_req: unknown, ctx) => {
      const r = await api.listServices(ctx);
      return create(ListServicesResponseSchema, { node: r.node, services: r.services.map(serviceRecordToProto) });
    }),
    LiveCheck: unary("LiveCheck", async (_req: unknown, ctx) => {
      const r = await api.liveCheck(ctx);
      return create(LiveCheckResponseSchema, {
        node: r.node,
        nowMs: BigInt(r.now),
        components: r.components.map((c) => ({ ...c, startedAtMs: BigInt(c.startedAt) })),
      });
    }),
    GetServiceStatus: unary("GetServiceStatus", async (req: GetServiceStatusRequest, ctx) => {
      const r = await api.getServiceStatus({ service: req.service, eventLimit: req.eventLimit, historyLimit: req.historyLimit }, ctx);
      return create(GetServiceStatusResponseSchema, {
        node: r.node,
        components: r.components.map((c) => ({ ...c, lastDeployment: c.lastDeployment ? deploymentToProto(c.lastDeployment) : undefined })),
        events: r.events.map(eventToProto),
        history: r.history.map(deploymentToProto),
      });
    }),
    WatchEvents: serverStream<WatchEventsRequest, unknown>("WatchEvents", (req, ctx, write) =>
      api.watchEvents({ backlog: req.backlog, follow: req.follow }, ctx, (e) => write(create(WatchEventsResponseSchema, { event: eventToProto(e) })))),
    SetSecret: unary("SetSecret", async (req: SetSecretRequest, ctx) => {
      const r = await need(api.setSecret, ctx)({ service: req.service, name: req.name, value: req.value }, ctx);
      return create(SetSecretResponseSchema, { secret: secretToProto(r.secret), created: r.created });
    }),
    ListSecrets: unary("ListSecrets", async (req: ListSecretsRequest, ctx) => {
      const r = await need(api.listSecrets, ctx)({ service: req.service }, ctx);
      return create(ListSecretsResponseSchema, { node: r.node, secrets: r.secrets.map(secretToProto) });
    }),
    RemoveSecret: unary("RemoveSecret", async (req: RemoveSecretRequest, ctx) => {
      await need(api.removeSecret, ctx)({ service: req.service, name: req.name }, ctx);
      return create(RemoveSecretResponseSchema);
    }),
    PruneImages: unary("PruneImages", async (req: PruneImagesRequest, ctx) => {
      const r = await need(api.pruneImages, ctx)({ dryRun: req.dryRun, keep: req.keep }, ctx);
      const image = (i: { id: string; names: string[]; size: number }) => ({ id: i.id, names: i.names, size: BigInt(i.size) });
      return create(PruneImagesResponseSchema, { node: r.node, removed: r.removed.map(image), kept: r.kept.map(image), reclaimedBytes: BigInt(r.reclaimedBytes) });
    }),
    Exec: execHandler(serve, api) as grpc.UntypedHandleCall,
  };

  for (const m of listRpcMethods()) {
    if (handlers[m.name]) continue;
    const notYet = async (_req: unknown, ctx: CallContext): Promise<never> => {
      throw new McpError("unimplemented", `${m.name} is not implemented by this agent (${ctx.method})`, "upgrade the agent");
    };
    if (m.clientStreaming && !m.serverStreaming) {
      handlers[m.name] = ((call: grpc.ServerReadableStream<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        call.on("data", () => {});
        unary(m.name, notYet)(call as unknown as grpc.ServerUnaryCall<unknown, unknown>, callback);
      }) as grpc.UntypedHandleCall;
    } else if (m.serverStreaming) {
      handlers[m.name] = serverStream(m.name, notYet);
    } else {
      handlers[m.name] = unary(m.name, notYet);
    }
  }

  server.addService(grpcServiceDefinition(), handlers);
  return server;
}
