// Transfer benchmark (issue 6), run on demand, not in CI:
//   node_modules/.bin/bun bench/transfer.ts [--quick]
// Needs podman (the agent checks it at start), Debian's openssh-server and
// openssh-client (the bench runs its own sshd on a loopback port, as root),
// and dist/mcp (scripts/build.ts).
// Measures, in one run on this machine, pushing and pulling a 1 GiB file
// (incompressible) over TLS on loopback with the compiled binary, against
//  - scp over loopback (OpenSSH, its default cipher), both directions;
//  - cp of the same file (the disk's limit; no fsync, as scp).
// mcp's push fsyncs the file before renaming it over the target (atomic
// replace); scp and cp do not. Runs alternate; medians compared.
// Writes bench/results/transfer-<timestamp>.json and prints a summary.
import { $, type Subprocess } from "bun";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, writeServiceDef } from "../test/support/agent.ts";
import { TEST_IMAGES } from "../test/support/image.ts";
import { ensureBinary, freePort, tempDir, waitFor } from "../test/support/mcp.ts";
import { mapValues, median, round, timed, writeResult } from "./_stats.ts";

const quick = process.argv.includes("--quick");
const SIZE = quick ? 256 << 20 : 1 << 30;
const RUNS = quick ? 2 : 3;

const mibps = (ms: number) => Math.round((SIZE / (1 << 20)) / (ms / 1000));
const round2 = (x: number) => round(x, 2);

/** How long fn took (ms); a run that failed throws. */
async function timedOk(what: string, fn: () => Promise<{ exitCode?: number; code?: number; stderr?: unknown }>): Promise<number> {
  const [ms, r] = await timed(fn);
  const code = r.exitCode ?? r.code ?? 0;
  if (code !== 0) throw new Error(`${what} failed (${code}): ${String(r.stderr)}`);
  return ms;
}

async function startSshd(dir: string): Promise<{ proc: Subprocess; port: number; key: string }> {
  if (!Bun.which("sshd") && !Bun.which("/usr/sbin/sshd")) throw new Error("sshd is not installed: apt-get install openssh-server");
  const port = await freePort();
  const key = join(dir, "client_ed25519");
  await $`ssh-keygen -q -t ed25519 -N ${""} -f ${join(dir, "host_ed25519")}`.quiet();
  await $`ssh-keygen -q -t ed25519 -N ${""} -f ${key}`.quiet();
  writeFileSync(join(dir, "authorized_keys"), await Bun.file(`${key}.pub`).text());
  mkdirSync("/run/sshd", { recursive: true });
  const config = join(dir, "sshd_config");
  writeFileSync(config, [
    `Port ${port}`, "ListenAddress 127.0.0.1", `HostKey ${join(dir, "host_ed25519")}`, `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    `PidFile ${join(dir, "sshd.pid")}`, "StrictModes no", "PermitRootLogin prohibit-password", "UsePAM no", "PasswordAuthentication no", "Subsystem sftp /usr/lib/openssh/sftp-server", "",
  ].join("\n"));
  const proc = Bun.spawn(["/usr/sbin/sshd", "-D", "-e", "-f", config], { stdout: "ignore", stderr: "pipe" });
  await waitFor(async () => (await $`ssh -p ${port} -i ${key} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes root@127.0.0.1 true`.nothrow().quiet()).exitCode === 0, "sshd to accept a login", 15_000);
  return { proc, port, key };
}

async function main(): Promise<void> {
  ensureBinary();
  const dir = tempDir("mcp-bench-transfer-");
  const src = join(dir, "src.bin");
  await $`head -c ${SIZE} /dev/urandom > ${src}`;
  const sshd = await startSshd(dir);
  const ssh = ["-P", String(sshd.port), "-i", sshd.key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-q"];
  const agent = await startTestAgent({ flavor: "binary" });
  writeServiceDef(agent, "bench", `name = "bench"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${TEST_IMAGES.v1}"\n`);
  mkdirSync(join(agent.dir, "srv", "bench"), { recursive: true });
  const t: Record<string, number[]> = { cp: [], scp_push: [], scp_pull: [], mcp_push: [], mcp_pull: [] };
  try {
    for (let i = 0; i < RUNS; i++) {
      const dst = join(dir, `dst-${i}`);
      mkdirSync(dst);
      await $`sync`;
      t.cp!.push(await timedOk("cp", () => $`cp ${src} ${join(dst, "cp.bin")}`.nothrow().quiet()));
      await $`sync`;
      t.scp_push!.push(await timedOk("scp push", () => $`scp ${ssh} ${src} ${`root@127.0.0.1:${join(dst, "scp.bin")}`}`.nothrow().quiet()));
      await $`sync`;
      t.scp_pull!.push(await timedOk("scp pull", () => $`scp ${ssh} ${`root@127.0.0.1:${join(dst, "scp.bin")}`} ${join(dst, "scp-back.bin")}`.nothrow().quiet()));
      await $`sync`;
      t.mcp_push!.push(await timedOk("mcp push", () => agent.cli(["push", src, "bench", "big.bin"])));
      await $`sync`;
      t.mcp_pull!.push(await timedOk("mcp pull", () => agent.cli(["pull", "bench", "big.bin", join(dst, "mcp-back.bin")])));
      const same = (await $`cmp ${src} ${join(dst, "mcp-back.bin")}`.nothrow().quiet()).exitCode === 0;
      if (!same) throw new Error("the pulled file differs from the source");
      rmSync(dst, { recursive: true, force: true });
    }
    const m = mapValues(t, median);
    const result = {
      bench: "transfer", at: new Date().toISOString(), quick, bytes: SIZE, runs: RUNS,
      median_ms: mapValues(m, Math.round),
      mib_per_s: mapValues(m, mibps),
      all_ms: mapValues(t, (xs) => xs.map(Math.round)),
      // Speed relative to scp (higher is better): scp time / mcp time.
      push_vs_scp: round2(m.scp_push! / m.mcp_push!),
      pull_vs_scp: round2(m.scp_pull! / m.mcp_pull!),
      push_vs_cp: round2(m.cp! / m.mcp_push!),
      target_vs_scp: 1.0,
    };
    const out = writeResult("transfer", result.at, result);
    console.log(`${SIZE >> 20} MiB: cp ${result.mib_per_s.cp} MiB/s; scp push ${result.mib_per_s.scp_push}, pull ${result.mib_per_s.scp_pull}; mcp push ${result.mib_per_s.mcp_push}, pull ${result.mib_per_s.mcp_pull} MiB/s`);
    console.log(`mcp vs scp: push ${result.push_vs_scp}×, pull ${result.pull_vs_scp}× (target ≥ 1.0)`);
    console.log(`written: ${out}`);
  } finally {
    sshd.proc.kill();
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
