// TLS of the agent (issue 7 acceptance 2 and 5): TLS 1.2 refused (openssl
// s_client), mutual TLS with client_ca, the certificate reloaded on SIGHUP
// without dropping a running `logs -f` stream, and an own-CA certificate
// close to expiry renewed at start (the CLI keeps verifying it).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:tls";
import { join } from "node:path";
import { describeCert, issueCert } from "../../src/node/auth/index.ts";
import { setTomlKey, startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { ensureTestImages, podmanAvailable, removeContainers, TEST_IMAGES, uniqueName } from "../support/image.ts";
import { mcpArgv, waitFor } from "../support/mcp.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e TLS suite SKIPPED: podman is not available (${podman.reason})`);

/** The serial number of the certificate a fresh TLS connection to the agent gets. */
function servedSerial(agent: TestAgent): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port: agent.port, servername: agent.node, ca: readFileSync(agent.caPath), ALPNProtocols: ["h2"] }, () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.end();
      resolve(serial);
    });
    s.on("error", reject);
  });
}

const ca = (agent: TestAgent) => ({
  certPem: readFileSync(join(agent.dir, "state/certs/ca.pem"), "utf8"),
  keyPem: readFileSync(join(agent.dir, "state/certs/ca-key.pem"), "utf8"),
});

describe.skipIf(!podman.ok)("e2e: the agent's TLS", () => {
  let agent: TestAgent;
  const svc = uniqueName("tls");

  beforeAll(async () => {
    await ensureTestImages();
    agent = await startTestAgent();
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(svc);
  });

  test.skipIf(!Bun.which("openssl"))("openssl s_client: TLS 1.2 is refused, TLS 1.3 is served", async () => {
    const tls12 = await $`openssl s_client -connect 127.0.0.1:${agent.port} -servername ${agent.node} -tls1_2 -CAfile ${agent.caPath} < /dev/null`.nothrow().quiet();
    expect(tls12.exitCode).not.toBe(0);
    expect(tls12.stdout.toString() + tls12.stderr.toString()).toMatch(/alert|handshake failure|no protocols available|wrong version/i);
    const tls13 = await $`openssl s_client -connect 127.0.0.1:${agent.port} -servername ${agent.node} -tls1_3 -CAfile ${agent.caPath} < /dev/null`.nothrow().quiet();
    expect(tls13.stdout.toString()).toMatch(/New, TLSv1\.3, Cipher is/);
  }, 30_000);

  test("SIGHUP: new connections get the new certificate; a running logs -f stream goes on", async () => {
    writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${TEST_IMAGES.v1}"\ncmd = ${JSON.stringify(["sh", "-c", "trap 'exit 0' TERM; i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done"])}\n`);
    expect((await agent.cli(["deploy", svc])).code).toBe(0);
    const follow = Bun.spawn([...mcpArgv("source"), "logs", svc, "-n", "1", "-f", "--config", agent.cliConfig], { stdout: "pipe", stderr: "pipe" });
    let out = "";
    void (async () => {
      for await (const c of follow.stdout) out += new TextDecoder().decode(c);
    })();
    try {
      await waitFor(() => (out.match(/tick-/g) ?? []).length >= 2, "the stream to run", 15_000);
      const before = await servedSerial(agent);
      const certFile = join(agent.dir, "state/certs/cert.pem");
      const old = describeCert(readFileSync(certFile, "utf8"));
      const next = issueCert({ ca: ca(agent), commonName: agent.node, dnsNames: old.dnsNames, ipAddresses: old.ipAddresses });
      writeFileSync(join(agent.dir, "state/certs/key.pem"), next.keyPem);
      writeFileSync(certFile, next.certPem);
      agent.signal("SIGHUP");
      await waitFor(async () => (await servedSerial(agent)) !== before, "the new certificate to be served", 10_000);
      expect(agent.logs()).toContain("TLS certificate reloaded");
      // The stream that was open before the reload still delivers.
      const seen = (out.match(/tick-/g) ?? []).length;
      await waitFor(() => (out.match(/tick-/g) ?? []).length >= seen + 3, "more lines after the reload", 10_000);
      expect(follow.exitCode).toBeNull();
      // And a new CLI call verifies the new certificate.
      expect((await agent.cli(["ps"])).code).toBe(0);
    } finally {
      follow.kill("SIGINT");
      await follow.exited;
    }
  }, 60_000);

  test("a broken certificate pair on reload is refused: the old one keeps serving", async () => {
    const before = await servedSerial(agent);
    const keyFile = join(agent.dir, "state/certs/key.pem");
    const key = readFileSync(keyFile);
    const other = issueCert({ ca: ca(agent), commonName: "x", dnsNames: ["x"], ipAddresses: [] });
    writeFileSync(keyFile, other.keyPem); // a key that is not the certificate's
    try {
      agent.signal("SIGHUP");
      await waitFor(() => agent.logs().includes("TLS reload failed"), "the refusal", 10_000);
      expect(await servedSerial(agent)).toBe(before);
      expect((await agent.cli(["ps"])).code).toBe(0);
    } finally {
      writeFileSync(keyFile, key);
    }
  }, 30_000);

  test("mutual TLS with client_ca: a CLI without a client certificate is refused; with one it is served", async () => {
    const text = readFileSync(agent.agentConfig, "utf8");
    writeFileSync(agent.agentConfig, setTomlKey(text, "server", "client_ca", JSON.stringify(agent.caPath)));
    try {
      await agent.restart();
      const without = await agent.cli(["ps"]);
      expect(without.code).toBe(4);
      expect(without.stderr).toMatch(/^error: node local/);
      const client = issueCert({ ca: ca(agent), commonName: "operator", dnsNames: ["operator"], ipAddresses: [] });
      writeFileSync(join(agent.dir, "client.pem"), client.certPem);
      writeFileSync(join(agent.dir, "client-key.pem"), client.keyPem, { mode: 0o600 });
      const cfg = readFileSync(agent.cliConfig, "utf8");
      writeFileSync(agent.cliConfig, setTomlKey(setTomlKey(cfg, "tls", "client_cert", JSON.stringify(join(agent.dir, "client.pem"))), "tls", "client_key", JSON.stringify(join(agent.dir, "client-key.pem"))));
      const withCert = await agent.cli(["ps"]);
      expect(withCert.stderr).toBe("");
      expect(withCert.code).toBe(0);
      writeFileSync(agent.cliConfig, cfg);
    } finally {
      writeFileSync(agent.agentConfig, text);
      await agent.restart();
    }
  }, 60_000);

  test("an own-CA certificate expiring in 10 days is renewed at start; the CLI keeps verifying it", async () => {
    const certFile = join(agent.dir, "state/certs/cert.pem");
    const old = describeCert(readFileSync(certFile, "utf8"));
    const soon = issueCert({ ca: ca(agent), commonName: agent.node, dnsNames: old.dnsNames, ipAddresses: old.ipAddresses, days: 10 });
    writeFileSync(join(agent.dir, "state/certs/key.pem"), soon.keyPem);
    writeFileSync(certFile, soon.certPem);
    await agent.restart();
    expect(agent.logs()).toContain("renewed the agent's TLS certificate");
    const now = describeCert(readFileSync(certFile, "utf8"));
    expect(now.notAfter).toBeGreaterThan(Date.now() + 700 * 86_400_000);
    expect(now.dnsNames).toEqual(old.dnsNames);
    expect(now.ipAddresses).toEqual(old.ipAddresses);
    expect((await agent.cli(["ps"])).code).toBe(0);
    const st = JSON.parse((await agent.cli(["node", "status", "--json"])).stdout).nodes[0];
    expect(Date.parse(st.cert_not_after)).toBe(now.notAfter);
  }, 60_000);
});
