import { adoptService, deployService, restartService, selectComponents, rollbackService, startService, stopService, syncServices, type DeployDeps } from "../deploy/index.ts";
import { isMcpError, McpError } from "../../lib/errors.ts";
import { isDrift, type LiveState } from "../monitor/index.ts";
import { LABEL_COMPONENT, LABEL_NODE, LABEL_SERVICE } from "../deploy/index.ts";
import type { AgentApi, CallContext, LiveComponent } from "../../rpc/index.ts";
import { containerName, versionOf } from "../../servicedef/index.ts";
import { getService, lastDeployment, listAudit, listDeployments, listServices, recentEvents, type EventRecord } from "../store/index.ts";
import { assertDeployable, assertName, assertServiceName } from "./validate.ts";
import { assertMountsNotNested, assertNamedVolumesOwned, type StateGuard } from "../policy/index.ts";
import type { ServiceDef } from "../runtime/types.ts";
import { redactEnv } from "../../servicedef/index.ts";
import type { ServiceRecord } from "../store/index.ts";
import { nodeStatus, type NodeFacts } from "./node-status.ts";
import { pullInNamespace, pushInNamespace, receiveFile, sendFile } from "../transfer/index.ts";
import { restoreService, snapshotService } from "../snapshot/index.ts";
import { createExecHandlers } from "./exec.ts";
import type { ExecRegistry } from "../exec/index.ts";
import { createSecretHandlers } from "./secrets.ts";
import { createPruneHandlers } from "./prune.ts";

function assertTarget(t: { service: string; component: string }): void {
  assertServiceName("service", t.service);
  if (t.component) assertName("component", t.component);
}

/** What a viewer may see of a spec: every env value as `KEY=…` (SPEC §7.1). */
function redactSpec<T extends { spec: { env: string[] } }>(x: T): T {
  return { ...x, spec: { ...x.spec, env: x.spec.env.map(redactEnv) } };
}

function redactService(s: ServiceRecord): ServiceRecord {
  return { ...s, components: s.components.map(redactSpec) };
}

/** Followed logs (each one podman process) a token may hold at once, and the node in all. */
const MAX_FOLLOW_PER_TOKEN = 16;
const MAX_FOLLOW = 64;

/** Options of the handlers beyond the deploy dependencies. */
export type HandlerOptions = NodeFacts & {
  maxTransferBytes: number;
  /** Refuses a service directory that is, or holds, the agent's own state. */
  guard?: StateGuard;
  /** `[policy] max_archive_bytes`: the largest total size of a restored archive's members. */
  maxArchiveBytes?: number;
  /** How the agent runs itself (argv): snapshots copy databases in a child process (`mcp agent copy-db`). */
  self?: readonly string[];
  /** Rootless podman: snapshots and restores run inside its user namespace (`wrap`: podman unshare). */
  userns?: { wrap: (argv: string[]) => string[] };
  /** The node's running execs (mcp exec), which the agent ends when it stops. */
  execs?: ExecRegistry;
};

/**
 * The agent's RPC handlers: thin; they validate what came over the wire and
 * call one domain function each. Reads answer from the registry and the
 * monitor's live view: no podman call per request.
 */
export function createHandlers(deps: DeployDeps, live: () => LiveState, opts?: HandlerOptions): AgentApi {
  const { db, clock, node } = deps;
  const facts: NodeFacts = opts ?? { node, agentVersion: "", podmanVersion: "", srvRoot: "/", startedAt: clock.now(), certNotAfter: 0 };
  const maxTransferBytes = opts?.maxTransferBytes ?? 16 * 1024 ** 3;
  /**
   * The node's policy for a whole definition, before anything is recorded or
   * stopped: each container on its own, no mount nested under another
   * component's writable one (the definition's and the other recorded
   * components'), and a scoped token's named volumes its service's own.
   */
  const assertServicePolicy = (def: ServiceDef, ctx: CallContext) => {
    const mine = new Set(def.components.map((c) => c.name));
    const others = (getService(db, def.name)?.components ?? []).filter((c) => !mine.has(c.name)).map((c) => c.spec);
    for (const c of def.components) {
      deps.allow?.(def.name, c);
      if ((ctx.identity.services ?? []).length > 0) assertNamedVolumesOwned(def.name, c);
    }
    assertMountsNotNested(def.name, [...def.components, ...others]);
    // `a` + component `b-web` and `a-b` + `web` would share the container a-b-web: the first one recorded keeps it.
    // (A foreign container recorded as `ignore` by sync is nobody's: a definition may take it over.)
    const taken = new Map(listServices(db).filter((x) => x.name !== def.name)
      .flatMap((x) => x.components.filter((c) => c.desired !== "ignore").map((c) => [c.containerName, `${x.name}/${c.name}`] as const)));
    for (const c of def.components) {
      const other = taken.get(containerName(def.name, c.name));
      if (other) {
        throw new McpError("failed_precondition", `component ${def.name}/${c.name} would run as container ${containerName(def.name, c.name)}, which is ${other}'s`,
          "rename the component (container names are <service>-<component>)");
      }
    }
  };
  const helper = opts?.userns && opts.self ? { self: opts.self, wrap: opts.userns.wrap } : null;
  /** A service's directory may be worked on: a valid, unreserved name whose directory is not the agent's state. */
  const assertDataDir = (service: string) => {
    assertServiceName("service", service);
    opts?.guard?.assertServiceDir(service);
  };
  /** The rest of a Logs call: every selected component's log, merged as it comes. */
  const streamLogs: AgentApi["logs"] = async (req, ctx, send) => {
    const svc = getService(db, req.service);
    if (!svc) throw new McpError("not_found", `service ${req.service} is not deployed on node ${node}`, `deploy it: mcp deploy ${req.service}`);
    const selected = selectComponents(svc, req.component);
    await Promise.all(selected.map(async (c) => {
      try {
        const since = Number.isFinite(req.since) && req.since! > 0 ? req.since : 0;
        await deps.runtime.streamLogs(c.containerName, { tail: req.tail, follow: req.follow, signal: ctx.signal, since }, (line, time) =>
          send({ component: c.name, data: `${line}\n`, time: time ?? 0 }));
      } catch (err) {
        // One component without a container does not end the others' logs; asked for alone, it is the answer.
        if (!isMcpError(err, "not_found") || req.component) throw err;
        send({ component: c.name, data: `[mcp] ${c.containerName} has no container (observed ${c.observed})\n` });
      }
    }));
  };
  const following = new Map<string, number>();
  let followingAll = 0;
  /** Takes a slot for a followed log (resource_exhausted past the limits); returns its release. */
  const followSlot = (who: string) => {
    const mine = following.get(who) ?? 0;
    if (mine >= MAX_FOLLOW_PER_TOKEN || followingAll >= MAX_FOLLOW) {
      throw new McpError("resource_exhausted", `too many followed logs (${mine} by token "${who}", ${followingAll} on this node; at most ${MAX_FOLLOW_PER_TOKEN} and ${MAX_FOLLOW})`,
        "end some `mcp logs -f`, then try again");
    }
    following.set(who, mine + 1);
    followingAll++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      followingAll--;
      const left = (following.get(who) ?? 1) - 1;
      if (left > 0) following.set(who, left);
      else following.delete(who);
    };
  };
  return {
    ...createExecHandlers(deps, live, opts?.execs),
    ...createSecretHandlers(deps),
    ...createPruneHandlers(deps, facts),
    async syncDesiredState(input, ctx) {
      for (const s of input.services) assertDeployable(s, node);
      // A recorded spec is what `start` recreates a missing container from: the policy applies when it is recorded too.
      for (const s of input.services) assertServicePolicy(s, ctx);
      const names = input.services.map((s) => s.name);
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      if (dup) throw new McpError("invalid_argument", `service ${dup} is sent twice`, "each definition once");
      // A token scoped to some services records nothing about other containers.
      const recordUnknown = (ctx.identity.services ?? []).length === 0;
      return { node, changes: await syncServices(deps, { ...input, recordUnknown }) };
    },
    async adoptContainers(input) {
      assertServiceName("service", input.service);
      for (const k of input.knownServices) assertName("service", k);
      return { node, components: await adoptService(deps, { service: input.service, known: input.knownServices }) };
    },
    async logs(req, ctx, send) {
      assertTarget(req);
      // Each followed log is a podman process for as long as the caller likes: bounded per token and in all.
      const release = req.follow ? followSlot(ctx.identity.name) : () => {};
      try {
        await streamLogs(req, ctx, send);
      } finally {
        release();
      }
    },
    async snapshotService(req, ctx, send) {
      assertDataDir(req.service);
      await snapshotService({ srvRoot: facts.srvRoot, service: req.service, log: deps.log, signal: ctx.signal, self: opts?.self, userns: opts?.userns }, send);
    },
    async restoreService(header, chunks, ctx) {
      assertDataDir(header.service);
      // Under the service's lock: no deploy starts a container between the check and the swap.
      const release = await deps.locks.acquire(`service ${header.service}`, { waitMs: deps.defaultLockWaitMs, signal: ctx.signal });
      let result: { size: number; databases: string[] };
      let running: { containerName: string }[];
      try {
        const view = live();
        running = (getService(db, header.service)?.components ?? []).filter((c) => view.get(c.containerName)?.state === "running");
        if (running.length > 0 && !header.force) {
          throw new McpError(
            "failed_precondition",
            `service ${header.service} is running (${running.map((c) => c.containerName).join(", ")})`,
            `stop it first (mcp stop ${header.service}), or restore with --force, which restarts it afterwards`,
          );
        }
        const userns = opts?.userns && opts.self ? { self: opts.self, wrap: opts.userns.wrap } : undefined;
        result = await restoreService({ srvRoot: facts.srvRoot, service: header.service, maxBytes: maxTransferBytes, maxArchiveBytes: opts?.maxArchiveBytes, userns }, chunks);
      } finally {
        release();
      }
      deps.journal.append({ time: clock.now(), service: header.service, component: "", kind: "restored", message: `${result.size} bytes` });
      // Bind mounts were resolved when the containers started: restart them to see the restored directory.
      let restarted: string[] = [];
      if (running.length > 0) {
        const results = await restartService(deps, { service: header.service, component: "" });
        restarted = results.filter((x) => x.status === "ok").map((x) => x.component);
      }
      return { ...result, restarted };
    },
    async pushFile(header, chunks) {
      assertDataDir(header.service);
      const o = { srvRoot: facts.srvRoot, service: header.service, path: header.path, mode: header.mode, maxBytes: maxTransferBytes };
      // Rootless: inside podman's user namespace, where a directory a container user owns is reachable.
      return helper ? pushInNamespace(helper, o, chunks) : receiveFile({ ...o, inheritOwner: true }, chunks);
    },
    async pullFile(target, ctx, send) {
      assertDataDir(target.service);
      const o = { srvRoot: facts.srvRoot, service: target.service, path: target.path };
      for await (const c of helper ? pullInNamespace(helper, o) : sendFile(o)) {
        if (ctx.signal.aborted) return;
        await send(c);
      }
    },
    async listAudit(req) {
      return { node, records: listAudit(db, { since: req.since, limit: Math.min(req.limit || 1000, 100_000) }) };
    },
    async nodeStatus() {
      return nodeStatus(facts, db, live(), clock.now());
    },
    async deploy(input, ctx, progress) {
      assertDeployable(input.service, node);
      assertServicePolicy(input.service, ctx);
      if (input.component) assertName("component", input.component);
      if (!input.service.active) {
        throw new McpError("failed_precondition", `service ${input.service.name} is inactive (active = false)`, `start it with mcp start ${input.service.name}, or set active = true`);
      }
      return deployService(deps, { ...input, signal: ctx.signal }, progress);
    },
    async rollback(input, ctx, progress) {
      assertTarget(input);
      return rollbackService(deps, { ...input, signal: ctx.signal }, progress);
    },
    async stopService(t) {
      assertTarget(t);
      return stopService(deps, t);
    },
    async startService(t) {
      assertTarget(t);
      return startService(deps, t);
    },
    async restartService(t) {
      assertTarget(t);
      return restartService(deps, t);
    },
    async listServices(ctx) {
      const services = listServices(db);
      return { node, services: ctx.identity.role === "viewer" ? services.map(redactService) : services };
    },
    async liveCheck() {
      const view = live();
      const components: LiveComponent[] = [];
      const known = new Set<string>();
      for (const svc of listServices(db)) {
        for (const c of svc.components) {
          const box = view.get(c.containerName);
          known.add(c.containerName);
          components.push({
            service: svc.name, component: c.name, containerName: c.containerName, state: c.observed,
            // The registry's version: a rolled-back container runs `repo@sha256:…`, which still is that version.
            image: box?.image || c.spec.image, version: c.version,
            startedAt: box?.state === "running" ? box.startedAt : 0, desired: c.desired, health: c.health ?? "", unverified: !!c.unverified && !deps.locks.isHeld(`service ${svc.name}`),
          });
        }
      }
      // Containers labelled as this node's but unknown to the registry still show.
      for (const box of view.all()) {
        if (known.has(box.name) || box.labels[LABEL_NODE] !== node) continue;
        components.push({
          service: box.labels[LABEL_SERVICE] ?? "", component: box.labels[LABEL_COMPONENT] ?? "", containerName: box.name,
          state: box.state === "running" ? "running" : "exited", image: box.image, version: versionOf(box.image),
          startedAt: box.state === "running" ? box.startedAt : 0, desired: "",
        });
      }
      return { node, now: clock.now(), components };
    },
    async getServiceStatus(req, ctx) {
      const viewer = ctx.identity.role === "viewer";
      if (req.service) assertServiceName("service", req.service);
      const services = req.service ? [getService(db, req.service)].filter((s) => s !== null) : listServices(db);
      if (req.service && services.length === 0) {
        throw new McpError("not_found", `service ${req.service} is not deployed on node ${node}`, `deploy it: mcp deploy ${req.service}`);
      }
      const components = services.flatMap((s) =>
        s.components.map((c) => ({
          service: s.name, component: c.name, desired: c.desired, observed: c.observed, version: c.version,
          drift: isDrift(c.desired, c.observed), lastDeployment: lastDeployment(db, s.name, c.name), health: c.health ?? "", unverified: !!c.unverified && !deps.locks.isHeld(`service ${s.name}`),
        })),
      ).map((c) => (viewer && c.lastDeployment ? { ...c, lastDeployment: redactSpec(c.lastDeployment) } : c));
      const events = recentEvents(db, { service: req.service || undefined, limit: Math.min(req.eventLimit || 10, 1000) });
      const perComponent = Math.min(req.historyLimit ?? 0, 1000);
      const all = perComponent > 0 ? services.flatMap((s) => s.components.flatMap((c) => listDeployments(db, s.name, c.name, perComponent))) : [];
      const history = viewer ? all.map(redactSpec) : all;
      return { node, components, events, history };
    },
    async watchEvents(req, ctx, send) {
      // Subscribe before reading the backlog so nothing falls between the two.
      const queued: EventRecord[] = [];
      let live = false;
      const unsubscribe = req.follow ? deps.journal.subscribe((e) => (live ? send(e) : queued.push(e))) : () => {};
      try {
        const backlog = req.backlog > 0 ? recentEvents(db, { limit: Math.min(req.backlog, 10_000) }) : [];
        const lastId = backlog.at(-1)?.id ?? 0;
        for (const e of backlog) send(e);
        for (const e of queued) if (e.id > lastId) send(e);
        live = true;
        if (req.follow && !ctx.signal.aborted) {
          await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
        }
      } finally {
        unsubscribe();
      }
    },
  };
}
