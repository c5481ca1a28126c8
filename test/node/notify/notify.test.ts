// [[notify]] channels against real HTTP receivers on loopback: what each kind receives, retries, and that a dead or slow one delays nothing else.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "../../../src/lib/log.ts";
import { createAlerter, createJournal, type AlertFacts } from "../../../src/node/monitor/index.ts";
import { createNotifier, type ChannelConfig } from "../../../src/node/notify/index.ts";
import { openDb } from "../../../src/node/store/index.ts";
import { freePort, waitFor } from "../../support/mcp.ts";

interface Received {
  headers: Record<string, string>;
  body: string;
}

/** A receiver answering each request with the next status of `statuses` (the last one repeats), or holding it until released. */
function receiver(statuses: number[] = [200], hold = false) {
  const got: Received[] = [];
  const held: (() => void)[] = [];
  let i = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      got.push({ headers: Object.fromEntries(req.headers), body: await req.text() });
      const status = statuses[Math.min(i++, statuses.length - 1)]!;
      if (hold) await new Promise<void>((r) => held.push(r));
      return new Response("", { status });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/hook/secret-topic`, got, release: () => held.splice(0).forEach((r) => r()), stop: () => server.stop(true) };
}

function collectingLog() {
  const lines: { level: string; msg: string; ctx?: Record<string, unknown> }[] = [];
  const at = (level: string) => (msg: string, ctx?: Record<string, unknown>) => void lines.push({ level, msg, ctx });
  const log: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  return { log, lines };
}

const channel = (url: string, over: Partial<ChannelConfig> = {}): ChannelConfig => ({ url, kind: "webhook", tokenFile: "", caCert: "", headers: {}, timeoutMs: 2000, ...over });
const alert = (n: number, kind: AlertFacts["kind"] = "drift"): AlertFacts => ({
  kind, node: "rift", service: `svc${n}`, component: "api", desired: "running", observed: "exited", previous: "running", time: Date.UTC(2030, 0, 1, 0, 0, n),
});
const fast = { baseDelayMs: 10, maxDelayMs: 40 };

const cleanup: (() => void)[] = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

describe("[[notify]] channels", () => {
  test("a webhook gets one JSON POST per alert with the documented fields", async () => {
    const r = receiver();
    cleanup.push(r.stop);
    const n = await createNotifier({ channels: [channel(r.url)], log: collectingLog().log });
    cleanup.push(n.close);
    n.send(alert(1));
    n.send(alert(2, "recovered"));
    await n.idle();
    expect(r.got).toHaveLength(2);
    expect(r.got[0]!.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(r.got[0]!.body);
    expect(body).toEqual({
      kind: "drift", node: "rift", service: "svc1", component: "api", desired: "running", observed: "exited", previous: "running",
      time: "2030-01-01T00:00:01.000Z", message: "svc1/api on rift drifted: desired running, observed exited (was running)",
    });
    expect(JSON.parse(r.got[1]!.body).kind).toBe("recovered");
    expect(n.stats()[0]).toMatchObject({ sent: 2, failed: 0, errors: 0, queued: 0 });
  });

  test("an ntfy channel gets the message as the body and Title, Priority and Tags headers", async () => {
    const r = receiver();
    cleanup.push(r.stop);
    const n = await createNotifier({ channels: [channel(r.url, { kind: "ntfy" })], log: collectingLog().log });
    cleanup.push(n.close);
    n.send(alert(1, "flapping"));
    n.send(alert(2, "recovered"));
    await n.idle();
    expect(r.got.map((g) => [g.headers.title, g.headers.priority, g.headers.tags])).toEqual([
      ["mcp flapping: svc1/api on rift", "high", "rotating_light,flapping,mcp"],
      ["mcp recovered: svc2/api on rift", "default", "white_check_mark,recovered,mcp"],
    ]);
    expect(r.got[0]!.body).toBe("svc1/api on rift is flapping: its state keeps changing (now exited, desired running)");
  });

  test("token_file and headers are sent; the token is read at each send (rotation without a restart)", async () => {
    const r = receiver();
    cleanup.push(r.stop);
    const dir = mkdtempSync(join(tmpdir(), "mcp-notify-"));
    writeFileSync(join(dir, "token"), "tk_first\n");
    const n = await createNotifier({ channels: [channel(r.url, { tokenFile: join(dir, "token"), headers: { "X-Team": "ops" } })], log: collectingLog().log });
    cleanup.push(n.close);
    n.send(alert(1));
    await n.idle();
    writeFileSync(join(dir, "token"), "tk_second\n");
    n.send(alert(2));
    await n.idle();
    expect(r.got.map((g) => [g.headers.authorization, g.headers["x-team"]])).toEqual([["Bearer tk_first", "ops"], ["Bearer tk_second", "ops"]]);
  });

  test("a 500 is retried with backoff until it passes; one warning for the incident, one line when it delivers again", async () => {
    const r = receiver([500, 503, 200]);
    cleanup.push(r.stop);
    const { log, lines } = collectingLog();
    const n = await createNotifier({ channels: [channel(r.url)], log, policy: fast });
    cleanup.push(n.close);
    n.send(alert(1));
    await n.idle();
    expect(r.got).toHaveLength(3);
    expect(new Set(r.got.map((g) => g.body)).size).toBe(1);
    expect(n.stats()[0]).toMatchObject({ sent: 1, failed: 0, errors: 2 });
    expect(lines.filter((l) => l.level === "warn").map((l) => l.ctx?.error)).toEqual(["answered HTTP 500"]);
    expect(lines.filter((l) => l.level === "info").map((l) => l.msg)).toEqual(["notify channel delivers again"]);
  });

  test("a refusal (4xx) is not retried", async () => {
    const r = receiver([400]);
    cleanup.push(r.stop);
    const n = await createNotifier({ channels: [channel(r.url)], log: collectingLog().log, policy: fast });
    cleanup.push(n.close);
    n.send(alert(1));
    await n.idle();
    expect(r.got).toHaveLength(1);
    expect(n.stats()[0]).toMatchObject({ sent: 0, failed: 1 });
  });

  test("a receiver that is down is logged once for all its failed alerts, never with its URL's path; the other channel gets every alert", async () => {
    const good = receiver();
    cleanup.push(good.stop);
    const dead = `http://127.0.0.1:${await freePort()}/hook/secret-topic`;
    const { log, lines } = collectingLog();
    const n = await createNotifier({ channels: [channel(dead), channel(good.url, { kind: "ntfy" })], log, policy: { ...fast, attempts: 2 } });
    cleanup.push(n.close);
    for (let i = 1; i <= 3; i++) n.send(alert(i));
    await n.idle();
    expect(good.got.map((g) => g.headers.title)).toEqual(["mcp drift: svc1/api on rift", "mcp drift: svc2/api on rift", "mcp drift: svc3/api on rift"]);
    expect(n.stats()[0]).toMatchObject({ sent: 0, failed: 3, errors: 6 });
    const warnings = lines.filter((l) => l.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]!.ctx?.channel)).toMatch(/^notify\[0\] webhook 127\.0\.0\.1:\d+$/);
    expect(JSON.stringify(lines)).not.toContain("secret-topic");
  });

  test("a slow receiver holds up neither the other channel nor the alerter: every alert reaches the fast one and the journal before the slow one answers once", async () => {
    const slow = receiver([200], true);
    const fastOne = receiver();
    cleanup.push(() => slow.release(), slow.stop, fastOne.stop);
    const n = await createNotifier({ channels: [channel(slow.url, { timeoutMs: 60_000 }), channel(fastOne.url)], log: collectingLog().log });
    cleanup.push(n.close);
    const db = openDb(":memory:");
    const journal = createJournal(db);
    const alerter = createAlerter({ command: [], exec: async () => {}, journal, log: collectingLog().log, clock: { now: () => Date.now() }, node: "rift", notify: n.send });
    for (let i = 1; i <= 3; i++) {
      alerter.fire({ kind: "drift", service: `svc${i}`, component: "api", desired: "running", observed: "exited", previous: "running" });
      // fire() returned: the alert is in the journal already, whatever the receivers do.
      expect(db.query("SELECT COUNT(*) AS n FROM events WHERE kind = 'drift'").get()).toEqual({ n: i });
    }
    await waitFor(async () => fastOne.got.length === 3, "the fast channel's three alerts");
    expect(slow.got).toHaveLength(1);
    expect(n.stats()[0]!.sent).toBe(0);
    slow.release();
    await waitFor(async () => (slow.release(), slow.got.length === 3), "the slow channel's three alerts, in order");
    expect(slow.got.map((g) => JSON.parse(g.body).service)).toEqual(["svc1", "svc2", "svc3"]);
  });

  test("a full queue drops the oldest alert and counts it", async () => {
    const slow = receiver([200], true);
    cleanup.push(() => slow.release(), slow.stop);
    const n = await createNotifier({ channels: [channel(slow.url, { timeoutMs: 60_000 })], log: collectingLog().log, policy: { queueMax: 2 } });
    cleanup.push(n.close);
    for (let i = 1; i <= 5; i++) n.send(alert(i));
    await waitFor(async () => slow.got.length === 1, "the first send");
    expect(n.stats()[0]).toMatchObject({ dropped: 2, queued: 2 });
    slow.release();
    await waitFor(async () => (slow.release(), slow.got.length === 3), "the rest");
    expect(slow.got.map((g) => JSON.parse(g.body).service)).toEqual(["svc1", "svc4", "svc5"]);
  });
});
