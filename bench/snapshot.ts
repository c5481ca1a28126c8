// Snapshot benchmark (issue 6), run on demand, not in CI:
//   node_modules/.bin/bun bench/snapshot.ts [--quick]
// Needs podman (the agent checks it at start), Debian's sqlite3 and zstd,
// and dist/mcp (scripts/build.ts).
// Measures, in one run on this machine, `mcp snapshot` (compiled binary,
// TLS, the archive written on the CLI's side) of a ~200 MB service directory
// (an SQLite database in WAL mode and plain files) against the same work by
// hand: `sqlite3 app.db "VACUUM INTO …"` then `tar --zstd` of the directory
// without the database plus the copy. Runs alternate; medians compared.
// Writes bench/results/snapshot-<timestamp>.json and prints a summary.
import { $ } from "bun";
import { Database } from "bun:sqlite";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, writeServiceDef } from "../test/support/agent.ts";
import { TEST_IMAGES } from "../test/support/image.ts";
import { ensureBinary, tempDir } from "../test/support/mcp.ts";
import { mapValues, median, round, writeResult } from "./_stats.ts";

const quick = process.argv.includes("--quick");
const RUNS = quick ? 2 : 5;
const DB_MB = quick ? 40 : 150;
const FILES_MB = quick ? 10 : 50;


/** Text that compresses like real data (words from a small vocabulary), not like zeros or noise. */
function prose(bytes: number, seed: number): string {
  const words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima", "mike", "november"];
  let x = seed;
  const out: string[] = [];
  let n = 0;
  while (n < bytes) {
    x = (x * 1103515245 + 12345) >>> 0;
    const w = `${words[x % words.length]}${x % 997} `;
    out.push(w);
    n += w.length;
  }
  return out.join("");
}

async function main(): Promise<void> {
  ensureBinary();
  if (!Bun.which("sqlite3")) throw new Error("sqlite3 is not installed: apt-get install sqlite3");
  const agent = await startTestAgent({ flavor: "binary" });
  writeServiceDef(agent, "bench", `name = "bench"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${TEST_IMAGES.v1}"\n`);
  const dir = join(agent.dir, "srv", "bench");
  mkdirSync(join(dir, "data"), { recursive: true });
  mkdirSync(join(dir, "files"));
  const db = new Database(join(dir, "data", "app.db"));
  db.exec("PRAGMA journal_mode = WAL; CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  const ins = db.query("INSERT INTO docs (body) VALUES (?)");
  const row = 8 << 10;
  db.transaction(() => {
    for (let i = 0; i < (DB_MB << 20) / row; i++) ins.run(prose(row, i));
  })();
  db.close();
  for (let i = 0; i < 10; i++) writeFileSync(join(dir, "files", `f${i}.txt`), prose((FILES_MB << 20) / 10, 1000 + i));
  const size = Number((await $`du -sb ${dir}`.text()).split("\t")[0]);

  const work = tempDir("mcp-bench-snapshot-");
  const t: Record<string, number[]> = { by_hand: [], mcp: [] };
  const sizes: Record<string, number> = {};
  try {
    for (let i = 0; i < RUNS; i++) {
      // By hand: what an operator would type.
      const staging = join(work, `staging-${i}`);
      mkdirSync(join(staging, "data"), { recursive: true });
      const hand = join(work, `hand-${i}.tar.zst`);
      await $`sync`;
      let t0 = performance.now();
      await $`sqlite3 ${join(dir, "data", "app.db")} ${`VACUUM INTO '${join(staging, "data", "app.db")}'`}`.quiet();
      // GNU tar's exclusions apply to the operands after them: the copy first, then the directory without its databases.
      const excludes = ["--exclude=./backups", "--exclude=*.db", "--exclude=*.db-wal", "--exclude=*.db-shm"];
      await $`tar --zstd -cf ${hand} -C ${staging} . ${excludes} -C ${dir} .`.quiet();
      t.by_hand!.push(performance.now() - t0);
      sizes.by_hand = statSync(hand).size;
      rmSync(staging, { recursive: true });
      rmSync(hand);

      const out = join(work, `mcp-${i}.tar.zst`);
      await $`sync`;
      t0 = performance.now();
      const r = await agent.cli(["snapshot", "bench", "-o", out]);
      t.mcp!.push(performance.now() - t0);
      if (r.code !== 0) throw new Error(`mcp snapshot: ${r.stderr}`);
      sizes.mcp = statSync(out).size;
      rmSync(out);
    }
    const m = { by_hand: median(t.by_hand!), mcp: median(t.mcp!) };
    const result = {
      bench: "snapshot", at: new Date().toISOString(), quick, runs: RUNS, directory_bytes: size,
      median_ms: { by_hand: Math.round(m.by_hand), mcp: Math.round(m.mcp) },
      all_ms: mapValues(t, (xs) => xs.map(Math.round)),
      archive_bytes: sizes,
      ratio: round(m.mcp / m.by_hand, 2),
      target_ratio: 1.3,
    };
    const file = writeResult("snapshot", result.at, result);
    console.log(`snapshot of ${Math.round(size / 1e6)} MB: mcp ${result.median_ms.mcp} ms vs VACUUM INTO + tar --zstd by hand ${result.median_ms.by_hand} ms: ratio ${result.ratio} (target ≤ 1.3)`);
    console.log(`written: ${file}`);
  } finally {
    await agent.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
