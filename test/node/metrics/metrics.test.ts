// The metrics endpoint's parts: the text format (checked by Debian's promtool), the figures from a real registry, podman call timing.
import { describe, expect, test } from "bun:test";
import { silentLogger } from "../../../src/lib/log.ts";
import { createLocks, deployService, type DeployDeps } from "../../../src/node/deploy/index.ts";
import { collectMetrics, EventCounters, Exposition, Histograms, PODMAN_BOUNDS, timePodmanCalls } from "../../../src/node/metrics/index.ts";
import { createJournal } from "../../../src/node/monitor/index.ts";
import { FakeRuntime } from "../../../src/node/runtime/index.ts";
import { McpError } from "../../../src/lib/errors.ts";
import { openDb, setHealth, setObserved } from "../../../src/node/store/index.ts";
import { promtoolCheck } from "../../support/promtool.ts";

describe("the text format", () => {
  test("label values are escaped; histograms are cumulative with +Inf, _sum and _count", async () => {
    const h = new Histograms([0.1, 1]);
    h.observe({ verb: "ps", outcome: "ok" }, 0.05);
    h.observe({ verb: "ps", outcome: "ok" }, 0.5);
    h.observe({ verb: "ps", outcome: "ok" }, 5);
    const text = new Exposition()
      .family("x_info", "gauge", "A test.", [[{ v: 'a"b\\c\nd' }, 1]])
      .histogram("x_seconds", "Durations.", h.entries())
      .text();
    expect(text).toBe([
      "# HELP x_info A test.", "# TYPE x_info gauge", 'x_info{v="a\\"b\\\\c\\nd"} 1',
      "# HELP x_seconds Durations.", "# TYPE x_seconds histogram",
      'x_seconds_bucket{verb="ps",outcome="ok",le="0.1"} 1', 'x_seconds_bucket{verb="ps",outcome="ok",le="1"} 2', 'x_seconds_bucket{verb="ps",outcome="ok",le="+Inf"} 3',
      'x_seconds_sum{verb="ps",outcome="ok"} 5.55', 'x_seconds_count{verb="ps",outcome="ok"} 3', "",
    ].join("\n"));
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" });
  });

  test("podman calls are timed by verb and outcome (ok, error, timeout); the call's result and error pass through", async () => {
    const h = new Histograms(PODMAN_BOUNDS);
    const runner = {
      run: async (argv: string[], _o: unknown) => {
        if (argv[0] === "rm") throw new McpError("failed_precondition", "no");
        if (argv[0] === "stop") throw new McpError("deadline_exceeded", "slow");
        return { stdout: "x", stderr: "", code: 0 };
      },
    };
    const timed = timePodmanCalls(runner, (a) => a[0] ?? "", h);
    expect(await timed.run(["ps"], {} as never)).toEqual({ stdout: "x", stderr: "", code: 0 });
    await expect(timed.run(["rm"], {} as never)).rejects.toThrow("no");
    await expect(timed.run(["stop"], {} as never)).rejects.toThrow("slow");
    expect(h.entries().map(([l, d]) => [l.verb, l.outcome, d.count])).toEqual([["ps", "ok", 1], ["rm", "error", 1], ["stop", "timeout", 1]]);
  });
});

describe("collectMetrics", () => {
  test("a node with deployments, a dead container and alerts: every family promtool-clean, the figures right", async () => {
    const runtime = new FakeRuntime();
    runtime.addRemoteImage("r.example.net/app:v1");
    runtime.addRemoteImage("r.example.net/app:v2");
    const db = openDb(":memory:");
    const journal = createJournal(db);
    const counters = new EventCounters();
    journal.subscribe((e) => counters.count(e));
    const deps: DeployDeps = {
      node: "rift", runtime, db, journal, clock: { now: () => Date.now() }, log: silentLogger, locks: createLocks(),
      stopTimeoutSec: 1, startTimeoutMs: 1000, defaultLockWaitMs: 1000,
    };
    const comp = (image: string) => ({ name: "api", image, network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [] });
    for (const image of ["r.example.net/app:v1", "r.example.net/app:v2"]) {
      await deployService(deps, { service: { name: "web", node: "rift", active: true, components: [comp(image)] }, component: "", force: false, lockWaitMs: 0 }, () => {});
    }
    // The monitor's records of a death and its drift alert, as the journal gets them.
    setObserved(db, "web", "api", "exited", "", Date.now());
    setHealth(db, "web", "api", "unhealthy", Date.now());
    journal.append({ time: Date.now(), service: "web", component: "api", kind: "observed", message: "running → exited (exit code 137)" });
    journal.append({ time: Date.now(), service: "web", component: "api", kind: "drift", message: "web/api on rift drifted" });
    const podman = new Histograms(PODMAN_BOUNDS);
    podman.observe({ verb: "ps", outcome: "ok" }, 0.08);
    const text = collectMetrics({
      node: "rift", version: "1.2.3", startedAt: 1_700_000_000_000, db, counters, podman, reclaimable: () => 12345,
      notify: () => [{ label: "notify[0] ntfy ntfy.example.net", sent: 3, failed: 1, dropped: 0, errors: 4, queued: 0 }],
    });
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" });
    const lines = text.split("\n");
    for (const l of [
      'mcp_agent_info{node="rift",version="1.2.3"} 1',
      'mcp_component_state{service="web",component="api",state="exited"} 1',
      'mcp_component_state{service="web",component="api",state="running"} 0',
      'mcp_component_desired_state{service="web",component="api",state="running"} 1',
      'mcp_component_exits_total{service="web",component="api"} 1',
      'mcp_component_health{service="web",component="api",health="unhealthy"} 1',
      'mcp_component_health{service="web",component="api",health="healthy"} 0',
      'mcp_component_restarts_total{service="web",component="api"} 0',
      'mcp_incidents_total{service="web",component="api",kind="drift"} 1',
      'mcp_deployments_total{service="web",component="api",outcome="ok"} 2',
      'mcp_deployment_duration_seconds_count{service="web",outcome="ok"} 2',
      'mcp_deployment_duration_seconds_bucket{service="web",outcome="ok",le="+Inf"} 2',
      'mcp_podman_call_duration_seconds_count{verb="ps",outcome="ok"} 1',
      "mcp_images_reclaimable_bytes 12345",
      'mcp_notify_failed_total{channel="notify[0] ntfy ntfy.example.net"} 1',
    ]) expect(lines).toContain(l);
  });
});
