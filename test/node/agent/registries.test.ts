import { describe, expect, test } from "bun:test";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRegistryAuth } from "../../../src/node/agent/index.ts";
import { authFileText, registryHost } from "../../../src/node/podman/index.ts";
import { tempDir } from "../../support/mcp.ts";

describe("registry credentials", () => {
  test("registryHost reads an image reference as podman does", () => {
    expect(registryHost("registry.example.net:8443/app/api:v1")).toBe("registry.example.net:8443");
    expect(registryHost("127.0.0.1:5000/app:v1")).toBe("127.0.0.1:5000");
    expect(registryHost("localhost/app:v1")).toBe("localhost");
    expect(registryHost("library/busybox:1")).toBe("docker.io");
    expect(registryHost("busybox")).toBe("docker.io");
  });

  test("the auth file holds base64 user:password per host; one trailing newline of the password file is dropped", () => {
    const text = authFileText(
      [{ host: "r.example:8443", username: "mcp", passwordFile: "/p", caCert: "" }],
      () => "s3cret\n",
    );
    expect(JSON.parse(text)).toEqual({ auths: { "r.example:8443": { auth: Buffer.from("mcp:s3cret").toString("base64") } } });
  });

  test("an unreadable or empty password file is a clear error that names the registry and the file, never the secret", () => {
    const regs = [{ host: "r.example:8443", username: "mcp", passwordFile: "/nope/token", caCert: "" }];
    expect(() => authFileText(regs, () => { throw new Error("ENOENT: no such file"); })).toThrow(
      /registry r\.example:8443: cannot read its password_file \/nope\/token \(ENOENT: no such file\)/,
    );
    expect(() => authFileText(regs, () => "\n")).toThrow(/password_file \/nope\/token is empty/);
  });

  test("createRegistryAuth writes a 0600 auth file before each pull (a rotated password is picked up) and a CA dir for its host", () => {
    const dir = tempDir("mcp-regauth-");
    const pw = join(dir, "token");
    const ca = join(dir, "ca.pem");
    writeFileSync(pw, "one\n");
    writeFileSync(ca, "-----BEGIN CERTIFICATE-----\n");
    const auth = createRegistryAuth([{ host: "127.0.0.1:5000", username: "u", passwordFile: pw, caCert: ca }], join(dir, "reg"));
    const first = auth("127.0.0.1:5000/app:v1");
    expect(first.authFile).toBe(join(dir, "reg", "auth.json"));
    expect(statSync(first.authFile!).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(first.certDir!, "ca.crt"), "utf8")).toBe("-----BEGIN CERTIFICATE-----\n");
    writeFileSync(pw, "two\n");
    const second = auth("other.example/app:v1");
    expect(second.certDir).toBeUndefined();
    expect(JSON.parse(readFileSync(second.authFile!, "utf8")).auths["127.0.0.1:5000"].auth).toBe(Buffer.from("u:two").toString("base64"));
    expect(createRegistryAuth([], join(dir, "none"))("x/y:1")).toEqual({});
  });
});
