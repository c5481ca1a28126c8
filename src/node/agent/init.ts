import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { createCa, createToken, issueCert } from "../auth/index.ts";
import { renderAgentConfig, requireHostPort } from "../../config/index.ts";
import type { Clock } from "../../lib/clock.ts";
import { McpError } from "../../lib/errors.ts";
import { assertLayout } from "../policy/index.ts";
import { openDb } from "../store/index.ts";
import { assertName } from "./validate.ts";

export interface InitOptions {
  node: string;
  listen: string;
  dir: string;
  srvRoot: string;
}

export interface InitResult {
  dir: string;
  configPath: string;
  caPath: string;
  certPath: string;
  dbPath: string;
  sans: string[];
  token: string;
}

/**
 * First-run bootstrap of a node (SPEC §6.1): writes the agent config, a CA
 * and a server certificate (DNS SAN = node name, IP SANs for the listen
 * address and loopback), creates the registry and an admin token. Refuses to
 * overwrite an existing setup; nothing existing is touched.
 */
export function initAgent(o: InitOptions, clock: Clock): InitResult {
  assertName("--node", o.node);
  const { host } = requireHostPort(o.listen, "--listen");
  const dir = resolve(o.dir);
  const certs = join(dir, "certs");
  const configPath = join(dir, "mcp-agent.toml");
  const dbPath = join(dir, "mcp.db");
  // Before anything is written: no service directory may ever be, hold or sit inside this one (SPEC §7.1).
  assertLayout(o.srvRoot, [{ path: dir, what: "the agent's directory (--dir)" }]);
  for (const p of [configPath, join(certs, "ca.pem"), join(certs, "cert.pem"), dbPath]) {
    if (existsSync(p)) {
      throw new McpError("already_exists", `${p} exists: this node is already set up`, "remove the old setup first, or pass another --dir");
    }
  }
  mkdirSync(certs, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);

  const ips = new Set<string>(["127.0.0.1", "::1"]);
  const dns = new Set<string>([o.node, "localhost"]);
  if (isIP(host)) {
    if (host !== "0.0.0.0" && host !== "::") ips.add(host);
  } else {
    dns.add(host);
  }
  const now = clock.now();
  const ca = createCa({ commonName: `mcp CA ${o.node}`, now });
  const cert = issueCert({ ca, commonName: o.node, dnsNames: [...dns], ipAddresses: [...ips], now });
  const write = (name: string, text: string, mode: number) => writeFileSync(join(certs, name), text, { mode, flag: "wx" });
  write("ca.pem", ca.certPem, 0o644);
  write("ca-key.pem", ca.keyPem, 0o600); // kept on the node to renew the server certificate
  write("cert.pem", cert.certPem, 0o644);
  write("key.pem", cert.keyPem, 0o600);
  writeFileSync(configPath, renderAgentConfig({ nodeName: o.node, listen: o.listen, dir, srvRoot: resolve(o.srvRoot) }), { mode: 0o600, flag: "wx" });

  const db = openDb(dbPath);
  try {
    const token = createToken(db, { name: "admin", role: "admin", ttlMs: 0 }, clock);
    return {
      dir, configPath, caPath: join(certs, "ca.pem"), certPath: join(certs, "cert.pem"), dbPath,
      sans: [...[...dns].map((d) => `DNS:${d}`), ...[...ips].map((i) => `IP:${i}`)], token,
    };
  } finally {
    db.close();
  }
}
