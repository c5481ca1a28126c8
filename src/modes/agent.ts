import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { createMciasValidator, describeCert } from "../node/auth/index.ts";
import { defineCommand } from "citty";
import { createConsola, type LogObject } from "consola";
import { checkEnvironment, createDataDirs, createHandlers, createRegistryAuth, protectedPathsOf, renewIfDue, startAgentServer, type UserNamespace } from "../node/agent/index.ts";
import { unshareArgs } from "../node/podman/unshare.ts";
import { recoverWorkDirs } from "../node/snapshot/index.ts";
import { assertContainerAllowed, assertLayout, assertMountsNotNested, createStateGuard, pinDevices } from "../node/policy/index.ts";
import type { CliIO } from "../lib/io.ts";
import { readAgentConfig, type AgentConfig } from "../config/index.ts";
import { createLocks, guardRuntime, recoverInterruptedDeployments, startAfterBoot, startService, stopService, type DeployDeps } from "../node/deploy/index.ts";
import { systemClock } from "../lib/clock.ts";
import { McpError } from "../lib/errors.ts";
import { formatContext, type Logger } from "../lib/log.ts";
import { createAlerter, createJournal, startMonitor, type ExecFn, type LiveState } from "../node/monitor/index.ts";
import { createAttacher, createPodmanRuntime, createRunner, reapOrphanedExecs } from "../node/podman/index.ts";
import { createExecRegistry } from "../node/exec/index.ts";
import { getService, openDb } from "../node/store/index.ts";
import { verbOf } from "../node/podman/runner.ts";
import { createReclaimableEstimate } from "../node/images/index.ts";
import { collectMetrics, EventCounters, Histograms, PODMAN_BOUNDS, startMetricsServer, timePodmanCalls } from "../node/metrics/index.ts";
import { createNotifier } from "../node/notify/index.ts";
import pkg from "../../package.json" with { type: "json" };

const LEVELS = { error: 0, warn: 1, info: 3, debug: 4 } as const;

/** How long after mcp's own operation on a service its container events are still considered its doing. */
const SETTLE_MS = 2000;

/**
 * The agent's root logger: one line per event on stderr, `time level message
 * key=value…`, no colour (journald keeps it as is).
 */
function createAgentLogger(level: AgentConfig["log"]["level"], write: (line: string) => void): Logger {
  const consola = createConsola({
    level: LEVELS[level],
    reporters: [
      {
        log(o: LogObject) {
          const [msg, ctx] = o.args as [string, Record<string, unknown> | undefined];
          write(`${o.date.toISOString()} ${o.type} ${msg}${formatContext(ctx)}\n`);
        },
      },
    ],
  });
  return {
    debug: (m, c) => consola.debug(m, c),
    info: (m, c) => consola.info(m, c),
    warn: (m, c) => consola.warn(m, c),
    error: (m, c) => consola.error(m, c),
  };
}

/** Runs the agent until SIGINT or SIGTERM. Containers are never stopped on the way out. */
export async function runAgent(io: CliIO, configPath: string): Promise<number> {
  const cfg = await readAgentConfig(configPath, { home: io.env.HOME ?? "", env: io.env });
  const log = createAgentLogger(cfg.log.level, io.err);
  // No service directory may be, hold or sit inside the agent's own state (SPEC §7.1): refuse such a layout at once.
  const protectedPaths = protectedPathsOf(cfg);
  assertLayout(cfg.agent.srvRoot, protectedPaths);
  // Every podman call is timed for /metrics (SPEC §7.8).
  const podmanCalls = new Histograms(PODMAN_BOUNDS);
  const runner = timePodmanCalls(createRunner({ bin: cfg.agent.podman, log }), verbOf, podmanCalls);
  const runtime = createPodmanRuntime({
    runner, timeouts: { callMs: cfg.agent.podmanTimeoutMs, pullMs: cfg.agent.pullTimeoutMs },
    // mcp exec: podman attached to the caller; a cancelled command is killed inside the user namespace when rootless.
    exec: { attacher: createAttacher({ bin: cfg.agent.podman, log }), rootless: io.uid !== 0, log },
  });

  const problems = await checkEnvironment({ env: io.env, uid: io.uid, runtime });
  if (problems.length > 0) {
    throw new McpError("failed_precondition", `the agent cannot start: ${problems.join("; ")}`, "fix the environment (see RUNBOOK.md, \"Agent does not start\") and start it again");
  }

  const db = openDb(cfg.database.path);
  // The policy for one container, with the service's other recorded components (no mount may nest under a writable one).
  const allow = (service: string, spec: { name: string; volumes: string[]; network: string }) => {
    assertContainerAllowed(service, spec, { srvRoot: cfg.agent.srvRoot, policy: cfg.policy, protectedPaths });
    const others = (getService(db, service)?.components ?? []).filter((c) => c.name !== spec.name).map((c) => c.spec);
    assertMountsNotNested(service, [spec, ...others]);
  };
  const clock = systemClock;
  const locks = createLocks();
  const journal = createJournal(db);
  const counters = new EventCounters();
  journal.subscribe((e) => counters.count(e));
  // Deployments a killed agent left pending: closed, and the registry made to say what runs.
  await recoverInterruptedDeployments({ runtime, db, clock, log, journal });
  // Execs a killed agent left running (their callers are gone with it) are ended before anything is served.
  await reapOrphanedExecs({ runner, rootless: io.uid !== 0, log, uid: io.uid });
  const execs = createExecRegistry(cfg.agent.nodeName);
  // Rootless podman: the containers' files are reached inside its user namespace (podman unshare).
  const ns: UserNamespace = {
    rootless: io.uid !== 0,
    wrap: (argv) => (io.uid !== 0 ? [cfg.agent.podman, ...unshareArgs(argv)] : argv),
  };
  // What a snapshot or restore left when the agent last died: a restore cut between its renames is undone first.
  await recoverWorkDirs(cfg.agent.srvRoot, log, async (path) => {
    if (!ns.rootless) return rmSync(path, { recursive: true, force: true });
    const argv = ns.wrap(["rm", "-rf", "--", path]);
    await createRunner({ bin: argv[0]!, log }).run(argv.slice(1), { timeoutMs: cfg.agent.podmanTimeoutMs });
  });
  const deps: DeployDeps = {
    node: cfg.agent.nodeName,
    // Rootless podman applies resource limits only on the unified hierarchy (cgroups v2).
    limitsIgnored: io.uid !== 0 && !existsSync("/sys/fs/cgroup/cgroup.controllers"),
    // Every container the agent creates passes the policy at that moment (deploy, rollback, put-back, start).
    runtime: guardRuntime(runtime, allow, pinDevices),
    allow,
    prepare: createDataDirs({ srvRoot: cfg.agent.srvRoot, ns, self: selfArgv(), timeoutMs: cfg.agent.podmanTimeoutMs }),
    db,
    journal,
    clock,
    log,
    locks,
    stopTimeoutSec: Math.ceil(cfg.agent.stopTimeoutMs / 1000),
    startTimeoutMs: 30_000,
    defaultLockWaitMs: cfg.agent.lockWaitMs,
    registryAuth: createRegistryAuth(cfg.registries, join(dirname(cfg.database.path), "registries")),
  };

  // What deploys and lifecycle operations inspect goes straight into the live view.
  let liveView: LiveState | undefined;
  deps.seen = (c) => liveView?.observe(c, clock.now());

  // The alert command runs through the one process seam, without a shell.
  const exec: ExecFn = async (argv, env, stdin, timeoutMs) => {
    await createRunner({ bin: argv[0]!, env: { ...io.env, ...env }, log }).run(argv.slice(1), { timeoutMs, stdin });
  };
  // `[[notify]]` channels (SPEC §7.8): every alert, each channel with its own queue and retries.
  const notifier = await createNotifier({ channels: cfg.notify, log });
  const monitor = await startMonitor({
    runtime,
    db,
    journal,
    alerter: createAlerter({ command: cfg.monitor.alertCommand, exec, journal, log, clock, node: cfg.agent.nodeName, notify: notifier.send }),
    clock,
    log,
    rules: {
      flapThreshold: cfg.monitor.flapThreshold,
      flapWindowMs: cfg.monitor.flapWindowMs,
      cooldownMs: cfg.monitor.cooldownMs,
      driftGraceMs: cfg.monitor.driftGraceMs,
      reconcile: cfg.monitor.reconcile,
    },
    resyncMs: cfg.monitor.resyncMs,
    retentionMs: cfg.monitor.retentionMs,
    minProbeIntervalMs: cfg.monitor.minProbeIntervalMs,
    // mcp's own operations (and the events they cause, which arrive a little later) are not drift.
    busy: (service) => {
      const key = `service ${service}`;
      return locks.isHeld(key) || clock.now() - locks.releasedAt(key) < SETTLE_MS;
    },
    reconcile: async (service, component, desired) => {
      const results = desired === "stopped" ? await stopService(deps, { service, component }) : await startService(deps, { service, component });
      const failed = results.find((r) => r.status === "failed");
      if (failed) throw new McpError("failed_precondition", failed.message);
    },
  });

  liveView = monitor.live();
  // SPEC §7.7: after a reboot the rootless containers are stopped; what is desired running is started again.
  if (cfg.monitor.onBoot === "start") {
    void startAfterBoot(deps, (name) => liveView?.get(name)).then(
      (r) => {
        if (r.started.length + r.failed.length > 0) log.info("boot start done", { started: r.started.length, failed: r.failed.length });
      },
      // It reports its own failures; an unhandled rejection would end the agent.
      (err) => log.error("boot start failed", { error: err instanceof Error ? err.stack ?? err.message : String(err) }),
    );
  }

  // An own-CA certificate close to expiry is renewed before the server starts with it (then daily).
  const renew = () => {
    try {
      return renewIfDue({ certFile: cfg.server.tlsCert, keyFile: cfg.server.tlsKey, now: clock.now(), log });
    } catch (err) {
      log.error("certificate renewal failed", { error: err instanceof Error ? err.message : String(err) });
      return "fine" as const;
    }
  };
  renew();
  const facts = {
    node: cfg.agent.nodeName,
    agentVersion: pkg.version,
    podmanVersion: await runtime.version().catch(() => ""),
    srvRoot: cfg.agent.srvRoot,
    startedAt: clock.now(),
    certNotAfter: certExpiry(cfg.server.tlsCert),
    maxTransferBytes: cfg.agent.maxTransferBytes,
    maxArchiveBytes: cfg.policy.maxArchiveBytes,
    self: selfArgv(),
    userns: ns.rootless ? ns : undefined,
    guard: createStateGuard(cfg.agent.srvRoot, protectedPaths),
    images: { keep: cfg.prune.keep, estimate: createReclaimableEstimate({ runtime, db, keep: cfg.prune.keep, clock, log }) },
    execs,
  };
  const mcias = cfg.auth.mode === "mcias" && cfg.mcias
    ? createMciasValidator({ serverUrl: cfg.mcias.serverUrl, caPem: readPem(cfg.mcias.caCert, "[mcias] ca_cert"), cacheTtlMs: cfg.mcias.cacheTtlMs, clock })
    : undefined;
  const server = await startAgentServer({
    listen: cfg.server.listen,
    tlsCert: cfg.server.tlsCert,
    tlsKey: cfg.server.tlsKey,
    clientCa: cfg.server.clientCa,
    authMode: cfg.auth.mode,
    ...(mcias ? { mcias } : {}),
    api: createHandlers(deps, monitor.live, facts),
    db,
    clock,
    log,
  });
  log.info("agent serving", { node: cfg.agent.nodeName, listen: cfg.server.listen, port: server.port, version: pkg.version });
  // `[metrics]` (SPEC §7.8): off when absent; the agent's TLS, tokens, flood limiter and audit trail.
  const metrics = cfg.metrics ? await startMetricsServer({
    listen: cfg.metrics.listen, ...server.shared, db, clock, mode: cfg.auth.mode, ...(mcias ? { mcias } : {}), log,
    collect: () => collectMetrics({
      node: cfg.agent.nodeName, version: pkg.version, startedAt: facts.startedAt, db, counters, podman: podmanCalls,
      notify: notifier.stats, reclaimable: facts.images.estimate.peek,
    }),
    // A port taken (by a container, say) costs /metrics, never the agent: it would crash-loop and manage nothing.
  }).catch((err) => {
    log.error("metrics cannot listen; the agent serves without /metrics", { listen: cfg.metrics!.listen, error: err instanceof Error ? err.message : String(err) });
    return null;
  }) : null;
  if (metrics) log.info("metrics serving", { listen: cfg.metrics!.listen, port: metrics.port });

  // SIGHUP: read the certificate (and client CA) again; the file watch does the same on its own.
  const reloadTls = (why: string) => {
    server.reloadTls(why);
    facts.certNotAfter = server.certNotAfter();
  };
  const onHup = () => reloadTls("SIGHUP");
  process.on("SIGHUP", onHup);
  const renewTimer = setInterval(() => {
    if (renew() === "renewed") reloadTls("renewed");
    facts.certNotAfter = server.certNotAfter();
  }, 86_400_000);

  const stop = new AbortController();
  const onSignal = (sig: string) => () => {
    log.info("shutting down", { signal: sig });
    stop.abort();
  };
  process.once("SIGINT", onSignal("SIGINT"));
  process.once("SIGTERM", onSignal("SIGTERM"));
  await new Promise<void>((resolve) => stop.signal.addEventListener("abort", () => resolve(), { once: true }));
  clearInterval(renewTimer);
  process.off("SIGHUP", onHup);
  await metrics?.close();
  // Open execs would hold the shutdown for its whole grace: their commands are killed and their callers told first.
  await execs.closeAll();
  await server.close();
  await monitor.stop();
  notifier.close();
  db.close();
  return 0;
}

/** `mcp agent …`: run the agent (the default), or manage the node's setup. */
export function agentCommand(io: CliIO) {
  return defineCommand({
    meta: { name: "agent", description: "The node agent: run it (default), or init / token / snapshot on the node" },
    default: "run",
    subCommands: {
      run: defineCommand({
        meta: { name: "run", description: "Run the agent (what `mcp agent --config <file>` does)" },
        args: { config: { type: "string", description: "the agent's config", default: "/srv/mcp/mcp-agent.toml", valueHint: "path" } },
        run: ({ args }) => runAgent(io, args.config),
      }),
      init: () => import("../node/commands/init.ts").then((m) => m.default(io)),
      token: () => import("../node/commands/token.ts").then((m) => m.default(io)),
      snapshot: () => import("../node/commands/snapshot.ts").then((m) => m.default(io)),
      "copy-db": () => import("../node/commands/copy-db.ts").then((m) => m.default(io)),
      "snapshot-dir": () => import("../node/commands/data-dir.ts").then((m) => m.snapshotDir(io)),
      "restore-dir": () => import("../node/commands/data-dir.ts").then((m) => m.restoreDir(io)),
      "make-dirs": () => import("../node/commands/data-dir.ts").then((m) => m.makeDirs(io)),
      "push-file": () => import("../node/commands/file-helpers.ts").then((m) => m.pushFile(io)),
      "pull-file": () => import("../node/commands/file-helpers.ts").then((m) => m.pullFile(io)),
    },
  });
}

/** The expiry of the agent's certificate (Unix ms), 0 when it cannot be read (the server start reports that). */
function certExpiry(path: string): number {
  try {
    return describeCert(readFileSync(path, "utf8")).notAfter;
  } catch {
    return 0;
  }
}

/** A PEM file named in the config ("" = none), or a clear error. */
function readPem(path: string, key: string): string {
  if (!path) return "";
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new McpError("invalid_argument", `cannot read ${key} ${path}: ${err instanceof Error ? err.message : String(err)}`, "fix the path in the agent config");
  }
}

/**
 * How this process runs itself: the compiled binary alone, or bun with the
 * entry script (from source). Snapshots copy databases in a child process.
 */
function selfArgv(): string[] {
  return Bun.main.startsWith("/$bunfs/") || Bun.main === process.execPath ? [process.execPath] : [process.execPath, Bun.main];
}
