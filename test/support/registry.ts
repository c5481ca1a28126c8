/**
 * A real OCI registry on loopback for the tests: Debian's `docker-registry`
 * (distribution 2.8) with TLS (a CA made here) and htpasswd (bcrypt) auth.
 * Images get in with `podman push`, using the registry's CA through
 * `--cert-dir` so that nothing is written to /etc.
 */
import { $, type Subprocess } from "bun";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCa, issueCert } from "../../src/node/auth/certs.ts";
import { freePort, tempDir, waitFor } from "./mcp.ts";
import { recordSecret } from "./scan.ts";

/** Debian's package puts the binary here. */
export const REGISTRY_BIN = "/usr/bin/docker-registry";

/** True when the registry binary is installed; the reason otherwise. */
export function registryAvailable(): { ok: true } | { ok: false; reason: string } {
  return Bun.which(REGISTRY_BIN) ? { ok: true } : { ok: false, reason: `${REGISTRY_BIN} is not installed (apt-get install docker-registry)` };
}

export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  username: string;
  password: string;
  /** The CA certificate (PEM file) that signed the registry's certificate. */
  caFile: string;
  /** A directory holding ca.crt, for podman's --cert-dir. */
  certDir: string;
  /** Copies a local image into the registry as `<host>/<repo>`; returns that reference. */
  push(localRef: string, repo: string): Promise<string>;
  /** Stops the registry (its data stays); start() brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** True while it answers. */
  up(): Promise<boolean>;
}

/** Starts a registry on a free loopback port with one user. Stop it in afterAll. */
export async function startRegistry(opts: { username?: string; password?: string } = {}): Promise<TestRegistry> {
  const username = opts.username ?? "mcp-agent";
  const password = opts.password ?? `pw-${crypto.randomUUID()}`;
  recordSecret(password);
  const dir = tempDir("mcp-registry-");
  const port = await freePort();
  const host = `127.0.0.1:${port}`;

  const ca = createCa({ commonName: "mcp test registry CA" });
  const cert = issueCert({ ca, commonName: "127.0.0.1", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
  const caFile = join(dir, "ca.pem");
  writeFileSync(caFile, ca.certPem);
  writeFileSync(join(dir, "cert.pem"), cert.certPem);
  writeFileSync(join(dir, "key.pem"), cert.keyPem, { mode: 0o600 });
  const certDir = join(dir, "certs.d");
  mkdirSync(certDir);
  writeFileSync(join(certDir, "ca.crt"), ca.certPem);
  // distribution's htpasswd accepts bcrypt only.
  writeFileSync(join(dir, "htpasswd"), `${username}:${await Bun.password.hash(password, { algorithm: "bcrypt", cost: 4 })}\n`);
  mkdirSync(join(dir, "data"));
  const config = join(dir, "config.yml");
  writeFileSync(config, [
    "version: 0.1",
    "log:",
    "  level: warn",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${join(dir, "data")}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: ${host}`,
    "  tls:",
    `    certificate: ${join(dir, "cert.pem")}`,
    `    key: ${join(dir, "key.pem")}`,
    "auth:",
    "  htpasswd:",
    "    realm: mcp-test",
    `    path: ${join(dir, "htpasswd")}`,
    "",
  ].join("\n"));

  let proc: Subprocess | null = null;
  const logFile = join(dir, "registry.log");

  async function up(): Promise<boolean> {
    // Unauthenticated /v2/ answers 401 when the registry is up.
    try {
      const res = await fetch(`https://${host}/v2/`, { tls: { ca: ca.certPem } } as RequestInit);
      return res.status === 401 || res.status === 200;
    } catch {
      return false;
    }
  }

  const reg: TestRegistry = {
    host, username, password, caFile, certDir,
    async push(localRef, repo) {
      const ref = `${host}/${repo}`;
      await $`podman push --quiet --cert-dir ${certDir} --creds ${`${username}:${password}`} ${localRef} ${ref}`.quiet();
      return ref;
    },
    async start() {
      proc = Bun.spawn([REGISTRY_BIN, "serve", config], { stdout: Bun.file(logFile), stderr: Bun.file(logFile), stdin: "ignore" });
      await waitFor(up, `the registry on ${host} to answer (log: ${logFile})`, 15_000);
    },
    async stop() {
      const p = proc;
      proc = null;
      if (!p) return;
      p.kill("SIGTERM");
      await p.exited;
      await waitFor(async () => !(await up()), `the registry on ${host} to stop`, 5_000);
    },
    up,
  };
  await reg.start();
  return reg;
}
