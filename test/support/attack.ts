/**
 * Support for the hostile suites (test/security/): a real agent in the
 * production layout (`<srv>/mcp` beside the services), tokens of each role
 * made with `mcp agent token create`, a CLI config per token, a direct client
 * that skips the CLI's checks (the agent is the boundary), and a fingerprint
 * of everything an attack must not change: the agent's files, the service
 * directories, the registry (but the audit trail), and podman's containers.
 */
import { $ } from "bun";
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createAgentClient, type AgentClient } from "../../src/rpc/index.ts";
import type { TestAgent } from "./agent.ts";
import { runMcp, type RunResult } from "./mcp.ts";
import { listTree } from "./ops.ts";
import { recordSecret } from "./scan.ts";

/** A token of a role (optionally scoped), with a CLI and a direct client that use it. */
export interface Actor {
  name: string;
  token: string;
  cli(args: string[], opts?: { stdin?: string }): Promise<RunResult>;
  client(): AgentClient;
}

/** Creates a token on the node (`mcp agent token create`) and a CLI config that logs in with it. */
export async function actor(agent: TestAgent, name: string, role: string, services: string[] = []): Promise<Actor> {
  const args = ["agent", "token", "create", "--name", name, "--role", role, "--config", agent.agentConfig];
  if (services.length > 0) args.push("--services", services.join(","));
  const r = await runMcp("binary", args);
  if (r.code !== 0) throw new Error(`token create failed (${r.code}): ${r.stderr}`);
  const token = r.stdout.trimEnd().split("\n").at(-1)!;
  recordSecret(token);
  const dir = join(agent.dir, `cli-${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "token"), `${token}\n`, { mode: 0o600 });
  const config = join(dir, "mcp.toml");
  writeFileSync(config, [
    `[services]`, `dir = ${JSON.stringify(agent.servicesDir)}`, ``,
    `[auth]`, `token_path = ${JSON.stringify(join(dir, "token"))}`, ``,
    `[tls]`, `ca_cert = ${JSON.stringify(agent.caPath)}`, ``,
    `[[nodes]]`, `name = ${JSON.stringify(agent.node)}`, `address = ${JSON.stringify(agent.address)}`, ``,
  ].join("\n"));
  return {
    name, token,
    cli: (a, o = {}) => runMcp("binary", [...a, "--config", config], o),
    client: () => createAgentClient({ node: agent.node, address: agent.address, caPem: readFileSync(agent.caPath, "utf8"), serverName: agent.node, token }),
  };
}


/**
 * Everything an attack must leave as it was: the srv root (the agent's
 * directory included, but its database files, which the audit trail writes
 * to), the registry's rows (all tables but audit; tokens without their
 * last-use time), and the names and ids of podman's containers.
 */
export async function fingerprint(agent: TestAgent): Promise<string> {
  // The registry's files change with every audited call: its rows are compared below instead.
  const files = listTree([agent.srvRoot]).split("\n").filter((l) => !l.startsWith(`${join(agent.srvRoot, "mcp", "mcp.db")}`));
  const db = new Database(join(agent.stateDir, "mcp.db"), { readonly: true });
  const rows: string[] = [];
  try {
    for (const table of ["services", "components", "deployments", "events"]) {
      rows.push(`${table}: ${JSON.stringify(db.query(`SELECT * FROM ${table} ORDER BY rowid`).all())}`);
    }
    rows.push(`tokens: ${JSON.stringify(db.query("SELECT name, role, hash, expires_at, revoked_at FROM tokens ORDER BY id").all())}`);
  } finally {
    db.close();
  }
  const listed = JSON.parse((await $`podman ps -a --format json`.nothrow().quiet().text()) || "[]") as { Names: string[]; Id: string; State: string }[];
  // Only this agent's services' containers: other suites create and remove theirs meanwhile.
  const ours = (n: string) => containersOf(agent).has(n);
  const containers = listed.filter((c) => c.Names.some(ours)).map((c) => `${c.Names.join(",")} ${c.Id} ${c.State}`).sort().join("\n");
  return [...files, ...rows, containers].join("\n");
}

/** The container names this agent's definitions give (`<service>-<component>`, or `<service>`): other suites' containers come and go meanwhile. */
function containersOf(agent: TestAgent): Set<string> {
  const out = new Set<string>();
  if (!existsSync(agent.servicesDir)) return out;
  for (const f of readdirSync(agent.servicesDir)) {
    const svc = f.replace(/\.toml$/, "");
    const text = readFileSync(join(agent.servicesDir, f), "utf8");
    for (const block of text.split("[[components]]").slice(1)) {
      const comp = /^name = "([^"]+)"$/m.exec(block)?.[1];
      if (comp) out.add(comp === svc ? svc : `${svc}-${comp}`);
    }
  }
  return out;
}

/** Builds a tar.zst of a directory with GNU tar (members as they are on disk, owners numeric). */
export async function tarZst(dir: string, out: string): Promise<string> {
  await $`tar --zstd --numeric-owner -cf ${out} -C ${dir} .`.quiet();
  return out;
}
