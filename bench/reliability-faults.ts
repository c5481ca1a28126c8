// Fault trials (issue 9, items 2 and 3), run on demand, not in CI:
//   node_modules/.bin/bun bench/reliability-faults.ts [--hung N] [--disk N]
// Needs podman and root (a tmpfs is mounted and unmounted; without root the
// full-disk part is skipped and says why). The short CI versions:
// test/reliability/hung-podman.e2e.test.ts and full-disk.e2e.test.ts.
//
// Hung podman (default 20 trials): every scenario of HUNG_SCENARIOS in turn
// (stop, restart, start, pull, run, image inspect, container inspect, ps;
// through mcp stop/restart/start/deploy/logs/sync and the Logs/Adopt RPCs),
// against an agent whose podman is a stand-in that hangs on that verb
// (podman_timeout 3s, stop_timeout 1s). Each trial checks the operator's
// answer (code, message, not before the deadline, within its budget), the
// state reached, and measures status/ps (RPC alone and CLI) while podman hangs.
//
// Full disk (default 10 trials): push and restore onto an 8 MiB tmpfs
// (srv_root) filled to leave less than the operation needs, alternating
// push (some space / none) and restore (archive not storable / archive
// stored but not extractable), with random sizes. Each checks: exit 1, the
// message says the disk is full, the service's directory byte-identical, no
// temporary file or work directory, the space given back, and that the same
// operation succeeds once the filler is removed.
//
// Writes bench/results/faults-<timestamp>.json and prints a summary.
import { $ } from "bun";
import { Database } from "bun:sqlite";
import { randomBytes, randomInt } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, writeServiceDef, type TestAgent } from "../test/support/agent.ts";
import { podmanAvailable } from "../test/support/image.ts";
import { fillDisk, freeBytes, leftovers, treeDigest } from "../test/support/disk.ts";
import { ensureBinary, tempDir } from "../test/support/mcp.ts";
import { numberFlag, round, writeResult } from "./_stats.ts";
import {
  HUNG_CALL_S, HUNG_SCENARIOS, HUNG_STOP_S, hungTrial, latencySummary, resetHungService, sampleStatus, startHungHarness, STATUS_LIMITS,
  type HungTrial,
} from "../test/support/podman-standin.ts";

const HUNG_TRIALS = numberFlag("--hung", 20);
const DISK_TRIALS = numberFlag("--disk", 10);

// ---------------------------------------------------------------------------
// Hung podman

async function hungPart() {
  const h = await startHungHarness("fault");
  try {
    const baseline = await sampleStatus(h, { rounds: 30 });
    const trials: HungTrial[] = [];
    for (let i = 0; i < HUNG_TRIALS; i++) {
      const sc = HUNG_SCENARIOS[i % HUNG_SCENARIOS.length]!;
      await resetHungService(h);
      const t = await hungTrial(h, sc);
      trials.push(t);
      console.error(`hung ${i + 1}/${HUNG_TRIALS} ${t.ok ? "ok  " : "FAIL"} ${sc.name}: ${t.elapsedMs} ms${t.ok ? "" : ` — ${t.problems.join("; ")}`}`);
    }
    const all = (k: "rpcStatus" | "rpcPs" | "cliStatus" | "cliPs") => trials.flatMap((t) => t.samples[k]);
    const byScenario = HUNG_SCENARIOS.map((sc) => {
      const mine = trials.filter((t) => t.scenario === sc.name);
      return {
        scenario: sc.name, hang: sc.hang, deadline_ms: sc.deadlineMs, budget_ms: sc.budgetMs, trials: mine.length, failures: mine.filter((t) => !t.ok).length,
        answered_ms: mine.map((t) => t.elapsedMs), message: mine[0]?.message ?? "",
      };
    }).filter((s) => s.trials > 0);
    return {
      settings: { podman_timeout_s: HUNG_CALL_S, stop_timeout_s: HUNG_STOP_S, pull_timeout_s: HUNG_CALL_S, resync_s: 1 },
      limits: STATUS_LIMITS,
      trials: trials.length,
      failures: trials.filter((t) => !t.ok).length,
      failed: trials.filter((t) => !t.ok).map((t) => ({ scenario: t.scenario, problems: t.problems })),
      by_scenario: byScenario,
      // How much later than the hung call's deadline the operator got the answer.
      answer_after_deadline_ms: latencySummary(trials.map((t) => t.elapsedMs - t.deadlineMs)),
      baseline_ms: {
        status_rpc: latencySummary(baseline.rpcStatus), ps_rpc: latencySummary(baseline.rpcPs),
        status_cli: latencySummary(baseline.cliStatus), ps_cli: latencySummary(baseline.cliPs),
      },
      while_hung_ms: {
        status_rpc: latencySummary(all("rpcStatus")), ps_rpc: latencySummary(all("rpcPs")),
        status_cli: latencySummary(all("cliStatus")), ps_cli: latencySummary(all("cliPs")),
      },
      status_errors_while_hung: trials.reduce((n, t) => n + t.samples.errors.length, 0),
    };
  } finally {
    await h.close();
  }
}

// ---------------------------------------------------------------------------
// Full disk (helpers in test/support/disk.ts, shared with test/reliability/full-disk.e2e.test.ts)

const same = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
/** The entries that differ between two digests (for the problem's text). */
const differing = (a: Record<string, string>, b: Record<string, string>) =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).map((k) => `${k} (${a[k] ?? "missing"} → ${b[k] ?? "missing"})`).join(", ");

type DiskKind = "push, some space" | "push, no space" | "restore, archive not storable" | "restore, extraction does not fit";
const DISK_KINDS: DiskKind[] = ["push, some space", "restore, archive not storable", "push, no space", "restore, extraction does not fit"];

interface DiskTrial {
  kind: DiskKind;
  bytes: number;
  free_bytes: number;
  ok: boolean;
  problems: string[];
  /** From the call to the error, ms. */
  error_ms: number;
  message: string;
}

async function diskTrial(agent: TestAgent, srv: string, i: number, kind: DiskKind): Promise<DiskTrial> {
  const problems: string[] = [];
  const service = `disk${i}`;
  const dir = join(srv, service);
  mkdirSync(join(dir, "db"), { recursive: true });
  writeServiceDef(agent, service, `name = "${service}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "localhost/none:v1"\n`);
  writeFileSync(join(dir, "app.conf"), `v = ${i}\n`);
  writeFileSync(join(dir, "data.bin"), randomBytes(randomInt(128 << 10, 512 << 10)), { mode: 0o640 });
  const db = new Database(join(dir, "db", "app.db"));
  db.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (v); INSERT INTO t VALUES ('snapshot')");
  db.close();

  let bytes = 0;
  let leave = 0;
  let args: string[];
  let expected: RegExp;
  let source = "";
  let snapshotTree: Record<string, string> = {};
  const isPush = kind.startsWith("push");
  if (isPush) {
    bytes = randomInt(1 << 20, 3 << 20);
    source = join(agent.dir, `${service}.bin`);
    writeFileSync(source, randomBytes(bytes));
    leave = kind === "push, no space" ? 0 : randomInt(0, bytes - (64 << 10));
    args = ["push", source, service, "data.bin"];
    expected = /^error: cannot write data\.bin: the disk is full \(ENOSPC\)\nhint: free space on the node, then try again\n$/;
  } else {
    // Incompressible, so the archive is as big as the tree. The retry needs the old tree, the archive and the
    // extracted tree at once: at most ~1.8 MiB each on the 8 MiB tmpfs.
    writeFileSync(join(dir, "blob.bin"), randomBytes(randomInt(512 << 10, 1280 << 10)));
    source = join(agent.dir, `${service}.tar.zst`);
    const snap = await agent.cli(["snapshot", service, "-o", source]);
    if (snap.code !== 0) throw new Error(`snapshot failed: ${snap.stderr}`);
    snapshotTree = treeDigest(dir, (rel) => rel.endsWith(".db"));
    writeFileSync(join(dir, "app.conf"), `v = ${i} (changed after the snapshot)\n`);
    writeFileSync(join(dir, "blob.bin"), randomBytes(randomInt(512 << 10, 1280 << 10)));
    bytes = lstatSync(source).size;
    leave = kind === "restore, archive not storable" ? randomInt(0, bytes - (64 << 10)) : bytes + randomInt(16 << 10, 512 << 10);
    args = ["restore", service, source];
    expected = kind === "restore, archive not storable"
      ? /^error: cannot store the archive: the disk is full \(ENOSPC\)\nhint: free space on the node, then try again\n$/
      : /^error: the archive does not fit: the disk is full \(.*No space left on device.*\)\nhint: .* is unchanged\n$/;
  }

  const before = treeDigest(dir);
  const filler = fillDisk(srv, leave);
  const free = freeBytes(srv);
  const t = performance.now();
  const r = await agent.cli(args);
  const errorMs = performance.now() - t;
  if (r.code !== 1) problems.push(`exit ${r.code}, expected 1`);
  if (!expected.test(r.stderr)) problems.push(`unexpected message: ${r.stderr.trim().slice(0, 300)}`);
  const after = treeDigest(dir);
  if (!same(after, before)) problems.push(`the service's directory changed: ${differing(before, after)}`);
  const left = leftovers(srv);
  if (left.length) problems.push(`left behind: ${left.join(", ")}`);
  if (freeBytes(srv) !== free) problems.push(`free space ${free} → ${freeBytes(srv)} bytes: not all given back`);
  rmSync(filler, { force: true });

  // With space again, the same operation goes through.
  const again = await agent.cli(args);
  if (again.code !== 0) problems.push(`with space again it failed (${again.code}): ${again.stderr.trim()}`);
  else if (isPush && !readFileSync(join(dir, "data.bin")).equals(readFileSync(source))) problems.push("the pushed file differs after the retry");
  else if (!isPush) {
    const restored = treeDigest(dir, (rel) => rel.endsWith(".db"));
    if (!same(restored, snapshotTree)) problems.push(`the restored directory differs from the snapshot: ${differing(snapshotTree, restored)}`);
  }
  if (leftovers(srv).length) problems.push(`left behind after the retry: ${leftovers(srv).join(", ")}`);
  rmSync(dir, { recursive: true, force: true });
  rmSync(source, { force: true });
  return { kind, bytes, free_bytes: free, ok: problems.length === 0, problems, error_ms: Math.round(errorMs), message: r.stderr.trim().split("\n")[0]!.slice(0, 300) };
}

interface DiskResult {
  tmpfs: string;
  trials: number;
  failures: number;
  by_kind: { kind: DiskKind; trials: number; failures: number }[];
  error_ms: ReturnType<typeof latencySummary>;
  trials_detail: DiskTrial[];
}

async function diskPart(): Promise<DiskResult | { skipped: string }> {
  if (process.getuid?.() !== 0) return { skipped: "not root: mounting a tmpfs needs root" };
  const srv = tempDir("mcp-bench-disk-");
  const m = await $`mount -t tmpfs -o size=8m,mode=0755 tmpfs ${srv}`.nothrow().quiet();
  if (m.exitCode !== 0) return { skipped: `mount -t tmpfs failed: ${m.stderr.toString().trim()}` };
  let agent: TestAgent | undefined;
  try {
    agent = await startTestAgent({ flavor: "binary", settings: { agent: { srv_root: JSON.stringify(srv) } } });
    const trials: DiskTrial[] = [];
    for (let i = 0; i < DISK_TRIALS; i++) {
      const t = await diskTrial(agent, srv, i, DISK_KINDS[i % DISK_KINDS.length]!);
      trials.push(t);
      console.error(`disk ${i + 1}/${DISK_TRIALS} ${t.ok ? "ok  " : "FAIL"} ${t.kind} (${t.bytes} B, ${t.free_bytes} B free): ${t.error_ms} ms${t.ok ? "" : ` — ${t.problems.join("; ")}`}`);
    }
    return {
      tmpfs: "8 MiB",
      trials: trials.length,
      failures: trials.filter((t) => !t.ok).length,
      by_kind: DISK_KINDS.map((k) => ({ kind: k, trials: trials.filter((t) => t.kind === k).length, failures: trials.filter((t) => t.kind === k && !t.ok).length })),
      error_ms: latencySummary(trials.map((t) => t.error_ms)),
      trials_detail: trials,
    };
  } finally {
    await agent?.stop();
    const u = await $`umount ${srv}`.nothrow().quiet();
    if (u.exitCode === 0) rmSync(srv, { recursive: true, force: true });
    else console.error(`umount ${srv} failed: ${u.stderr.toString().trim()}`);
  }
}

async function main(): Promise<void> {
  const podman = await podmanAvailable();
  if (!podman.ok) throw new Error(`podman is not available (${podman.reason}): the agent needs it`);
  ensureBinary();
  const at = new Date().toISOString();
  const hung = HUNG_TRIALS > 0 ? await hungPart() : { skipped: "--hung 0" };
  const disk = DISK_TRIALS > 0 ? await diskPart() : { skipped: "--disk 0" };
  const result = {
    bench: "reliability-faults",
    at,
    machine: { cpus: cpus().length, load1_at_end: round(loadavg()[0]!, 2), bun: Bun.version, podman: (await $`podman version --format {{.Client.Version}}`.text()).trim() },
    hung_podman: hung,
    full_disk: disk,
  };
  const file = writeResult("faults", at, result);
  console.log(file);
  if ("trials" in hung) {
    const w = hung.while_hung_ms;
    console.log(`hung podman: ${hung.trials - hung.failures}/${hung.trials} trials ok; answer after the deadline p50 ${hung.answer_after_deadline_ms.p50} ms, max ${hung.answer_after_deadline_ms.max} ms`);
    console.log(`  while hung: status RPC p50 ${w.status_rpc.p50} / p99 ${w.status_rpc.p99} / max ${w.status_rpc.max} ms (n=${w.status_rpc.n}); ps RPC p50 ${w.ps_rpc.p50} / p99 ${w.ps_rpc.p99} / max ${w.ps_rpc.max} ms`);
    console.log(`  while hung: mcp status p50 ${w.status_cli.p50} / p99 ${w.status_cli.p99} / max ${w.status_cli.max} ms (n=${w.status_cli.n}); baseline p50 ${hung.baseline_ms.status_cli.p50} ms`);
  }
  if ("trials" in disk) console.log(`full disk: ${disk.trials - disk.failures}/${disk.trials} trials ok; error after p50 ${disk.error_ms.p50} ms, max ${disk.error_ms.max} ms`);
  else console.log(`full disk: skipped (${disk.skipped})`);
  const failures = ("failures" in hung ? hung.failures : 0) + ("failures" in disk ? disk.failures : 0);
  process.exitCode = failures > 0 ? 1 : 0;
}

await main();
