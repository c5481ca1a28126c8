// Issue 13: unauthenticated floods are cheap (SPEC §7.1), against a real TLS
// agent server over the fake runtime. 2,000 calls with bad tokens from one
// peer leave a handful of audit records (the window's first, then one
// summary); past the threshold their answers are held back, while a call
// with a valid token from the same address is answered at once.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHandlers, startAgentServer, type RunningServer } from "../../src/node/agent/index.ts";
import { createCa, createToken, generateTokenSecret, issueCert } from "../../src/node/auth/index.ts";
import { createLocks } from "../../src/node/deploy/index.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { createJournal, LiveState } from "../../src/node/monitor/index.ts";
import { SERVICE_NAME } from "../../src/rpc/index.ts";
import { FakeRuntime } from "../../src/node/runtime/index.ts";
import { listAudit, openDb, type Db } from "../../src/node/store/index.ts";
import { tempDir, waitFor } from "../support/mcp.ts";

const THRESHOLD = 20;
const FLOOD = 2000;

let server: RunningServer;
let db: Db;
let admin = "";
// The agent's clock; the test moves it to end a window.
let skew = 0;
const ca = createCa({ commonName: "test CA" });
const cert = issueCert({ ca, commonName: "rift", dnsNames: ["rift"], ipAddresses: ["127.0.0.1"] });
let channel: grpc.Client;

beforeAll(async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "cert.pem"), cert.certPem);
  writeFileSync(join(dir, "key.pem"), cert.keyPem);
  db = openDb(join(dir, "mcp.db"));
  const clock = { now: () => Date.now() + skew };
  admin = createToken(db, { name: "admin", role: "admin", ttlMs: 0 }, clock);
  const deps = {
    node: "rift", runtime: new FakeRuntime(), db, journal: createJournal(db), clock, log: silentLogger, locks: createLocks(),
    stopTimeoutSec: 1, startTimeoutMs: 1000, defaultLockWaitMs: 1000,
  };
  server = await startAgentServer({
    listen: "127.0.0.1:0", tlsCert: join(dir, "cert.pem"), tlsKey: join(dir, "key.pem"), clientCa: "", authMode: "local",
    api: createHandlers(deps, () => new LiveState()),
    // The production window and threshold; shorter waits, so that the test is quick.
    flood: { windowMs: 60_000, threshold: THRESHOLD, baseDelayMs: 200, maxDelayMs: 800 },
    db, clock, log: silentLogger,
  });
  channel = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createSsl(Buffer.from(ca.certPem)), {
    "grpc.ssl_target_name_override": "rift",
    "grpc.default_authority": "rift",
  });
});

afterAll(async () => {
  channel?.close();
  await server?.close(100);
});

/** One NodeStatus call with this token; resolves to its status code and how long it took. */
function call(token: string): Promise<{ code: number; ms: number }> {
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${token}`);
  const started = performance.now();
  const id = (b: Buffer) => b;
  return new Promise((resolve) => {
    channel.makeUnaryRequest(`/${SERVICE_NAME}/NodeStatus`, id, id, Buffer.alloc(0), md, {}, (err) =>
      resolve({ code: err ? err.code : grpc.status.OK, ms: performance.now() - started }));
  });
}

const refusedRecords = () => listAudit(db, { since: 0, limit: 100_000 }).filter((r) => r.outcome.startsWith("UNAUTHENTICATED"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe("an unauthenticated flood", () => {
  test("2,000 bad-token calls: refused, held back past the threshold, and a handful of audit records", async () => {
    // Up to the threshold, refusals are answered at once.
    const early: number[] = [];
    for (let i = 0; i < THRESHOLD; i++) {
      const r = await call(generateTokenSecret());
      expect(r.code).toBe(grpc.status.UNAUTHENTICATED);
      early.push(r.ms);
    }
    expect(server.floodStats()).toMatchObject({ refused: THRESHOLD, delayed: 0, held: 0 });

    // The rest at once: each is refused and its answer held back.
    let answered = 0;
    const late = Array.from({ length: FLOOD - THRESHOLD }, () => call(generateTokenSecret()).then((r) => (answered++, r)));
    await waitFor(() => server.floodStats().refused === FLOOD, "every flood call to be refused");
    expect(server.floodStats().held).toBeGreaterThan(0);

    // Meanwhile a valid token from the same address is answered at once, ahead of the held refusals.
    const valid = await call(admin);
    expect(valid.code).toBe(grpc.status.OK);
    const answeredBeforeValid = answered;
    expect(answeredBeforeValid).toBeLessThan(FLOOD - THRESHOLD);

    const lateResults = await Promise.all(late);
    expect(lateResults.every((r) => r.code === grpc.status.UNAUTHENTICATED)).toBe(true);
    expect(server.floodStats()).toMatchObject({ peers: 1, refused: FLOOD, delayed: FLOOD - THRESHOLD, held: 0 });
    console.log(`flood: median ${median(early).toFixed(1)} ms up to the threshold, ${median(lateResults.map((r) => r.ms)).toFixed(1)} ms past it; `
      + `valid call ${valid.ms.toFixed(1)} ms, answered with ${answeredBeforeValid} of ${FLOOD - THRESHOLD} held refusals sent`);

    // One record for the window's first refusal; the valid call is audited as usual.
    expect(refusedRecords().map((r) => [r.method, r.identity, r.outcome])).toEqual([["NodeStatus", "-", "UNAUTHENTICATED"]]);
    expect(listAudit(db, { since: 0, limit: 100_000 }).filter((r) => r.identity === "admin").map((r) => [r.method, r.outcome])).toEqual([["NodeStatus", "OK"]]);
  }, 60_000);

  test("when the window ends, one summary record counts the rest; a new window records its first again", async () => {
    skew += 61_000;
    expect((await call(generateTokenSecret())).code).toBe(grpc.status.UNAUTHENTICATED);
    const records = refusedRecords();
    expect(records.length).toBeLessThanOrEqual(5);
    expect(records.map((r) => [r.method, r.identity, r.outcome])).toEqual([
      ["NodeStatus", "-", "UNAUTHENTICATED"],
      ["NodeStatus", "-", `UNAUTHENTICATED x${FLOOD - 1}`],
      ["NodeStatus", "-", "UNAUTHENTICATED"],
    ]);
    expect(records[1]!.peer).toBe("127.0.0.1");
    // A valid token after the flood is audited as usual.
    expect((await call(admin)).code).toBe(grpc.status.OK);
    expect(listAudit(db, { since: 0, limit: 100_000 }).filter((r) => r.identity === "admin").length).toBe(2);
  });
});
