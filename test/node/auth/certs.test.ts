import { describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { createCa, describeCert, issueCert } from "../../../src/node/auth/index.ts";

describe("certificates", () => {
  test("the server certificate is signed by the CA and carries DNS and IP SANs", () => {
    const ca = createCa({ commonName: "mcp CA rift" });
    const s = issueCert({ ca, commonName: "rift", dnsNames: ["rift", "localhost"], ipAddresses: ["127.0.0.1", "100.95.252.120", "::1"] });
    const caCert = new X509Certificate(ca.certPem);
    const cert = new X509Certificate(s.certPem);
    expect(caCert.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkHost("rift")).toBe("rift");
    expect(cert.checkIP("100.95.252.120")).toBe("100.95.252.120");
    expect(cert.checkIP("10.0.0.1")).toBeUndefined();
    const d = describeCert(s.certPem);
    expect(d.dnsNames).toEqual(["rift", "localhost"]);
    expect(d.notAfter).toBeGreaterThan(Date.now() + 800 * 86_400_000);
  });
});
