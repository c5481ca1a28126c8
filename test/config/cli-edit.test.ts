import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { addNodeToText, parseCliConfig, removeNodeFromText } from "../../src/config/index.ts";
import { isMcpError, type McpError } from "../../src/lib/errors.ts";

const FIXTURE = readFileSync(join(import.meta.dir, "../fixtures/cli-config.toml"), "utf8");

function failure(fn: () => unknown): McpError {
  try {
    fn();
  } catch (err) {
    if (isMcpError(err)) return err;
    throw err;
  }
  throw new Error("expected an McpError");
}

const nodesOf = (text: string) => parseCliConfig(text, "/cfg/mcp.toml", { home: "/home/op" }).nodes;

describe("addNodeToText", () => {
  test("appends a block after one blank line; everything before stays byte-for-byte", () => {
    const out = addNodeToText(FIXTURE, { name: "nova", address: "10.0.0.9:9444", caCert: "/home/op/nova-ca.pem" });
    expect(out).toBe(`${FIXTURE}\n[[nodes]]\nname = "nova"\naddress = "10.0.0.9:9444"\nca_cert = "/home/op/nova-ca.pem"\n`);
    expect(nodesOf(out).map((n) => n.name)).toEqual(["rift", "vade", "orbit", "nova"]);
  });

  test("writes only non-default fields", () => {
    const out = addNodeToText("", { name: "rift", address: "rift:9444", serverName: "rift", caCert: "", tokenPath: "" });
    expect(out).toBe(`[[nodes]]\nname = "rift"\naddress = "rift:9444"\n`);
    const all = addNodeToText("", { name: "rift", address: "[::1]:9444", serverName: "rift.example.net", caCert: "~/ca.pem", tokenPath: "~/t" });
    expect(all).toBe(`[[nodes]]\nname = "rift"\naddress = "[::1]:9444"\nserver_name = "rift.example.net"\nca_cert = "~/ca.pem"\ntoken_path = "~/t"\n`);
    expect(nodesOf(all)[0]).toEqual({ name: "rift", address: "[::1]:9444", serverName: "rift.example.net", caCert: "/home/op/ca.pem", tokenPath: "/home/op/t" });
  });

  test("a file without a final newline, or already ending in a blank line", () => {
    expect(addNodeToText(`[tls]\nca_cert = "x"`, { name: "a", address: "a:1" })).toBe(`[tls]\nca_cert = "x"\n\n[[nodes]]\nname = "a"\naddress = "a:1"\n`);
    expect(addNodeToText(`[tls]\nca_cert = "x"\n\n`, { name: "a", address: "a:1" })).toBe(`[tls]\nca_cert = "x"\n\n[[nodes]]\nname = "a"\naddress = "a:1"\n`);
  });

  test("keeps CRLF line endings", () => {
    expect(addNodeToText(`[tls]\r\nca_cert = "x"\r\n`, { name: "a", address: "a:1" })).toBe(`[tls]\r\nca_cert = "x"\r\n\r\n[[nodes]]\r\nname = "a"\r\naddress = "a:1"\r\n`);
  });

  test("an existing name is already_exists; bad names and addresses are invalid_argument", () => {
    const dup = failure(() => addNodeToText(FIXTURE, { name: "vade", address: "x:1" }));
    expect(dup.code).toBe("already_exists");
    expect(dup.message).toContain(`"vade"`);
    expect(failure(() => addNodeToText(FIXTURE, { name: "Nova", address: "x:1" })).code).toBe("invalid_argument");
    expect(failure(() => addNodeToText(FIXTURE, { name: "nova", address: "x" })).code).toBe("invalid_argument");
  });

  test("an invalid existing file is reported, not edited", () => {
    const err = failure(() => addNodeToText(`[tls]\nca = "x"\n`, { name: "a", address: "a:1" }, { source: "/cfg/mcp.toml" }));
    expect(err.message).toBe("/cfg/mcp.toml:2: tls.ca: unknown key");
  });

  test("nodes written as an inline array cannot be appended to", () => {
    const err = failure(() => addNodeToText(`nodes = [{ name = "a", address = "a:1" }]\n`, { name: "b", address: "b:1" }));
    expect(err.code).toBe("failed_precondition");
  });
});

describe("removeNodeFromText", () => {
  test("a middle node: its block goes, the comment above the next header stays", () => {
    const out = removeNodeFromText(FIXTURE, "vade");
    expect(out).toBe(FIXTURE.replace(
      `[[nodes]]\nname = "vade"\naddress = "[fd7a:115c:a1e0::1]:9444"\nca_cert = "~/certs/vade-ca.pem"\ntoken_path = "tokens/vade"\n# trailing comment about vade's token\n\n`,
      "",
    ));
    expect(nodesOf(out).map((n) => n.name)).toEqual(["rift", "orbit"]);
  });

  test("the first node: the section comment and everything else stay", () => {
    const out = removeNodeFromText(FIXTURE, "rift");
    expect(out).toBe(FIXTURE.replace(`[[nodes]]\nname = "rift"\naddress = "100.95.252.120:9444"   # tailscale IP\nserver_name = "rift"\n\n`, ""));
  });

  test("the last node: no blank lines left dangling at the end", () => {
    const out = removeNodeFromText(FIXTURE, "orbit");
    expect(out).toBe(FIXTURE.replace(`[[nodes]]\nname = "orbit"\naddress = "orbit.lan:9444"\n`, ""));
    expect(out.endsWith("# orbit: the newest box, in the attic\n")).toBe(true);
    expect(nodesOf(out).map((n) => n.name)).toEqual(["rift", "vade"]);
  });

  test("add then remove gives the original text back", () => {
    const added = addNodeToText(FIXTURE, { name: "nova", address: "10.0.0.9:9444" });
    expect(removeNodeFromText(added, "nova")).toBe(FIXTURE);
  });

  test("the only node of a file with nothing else", () => {
    expect(removeNodeFromText(`[[nodes]]\nname = "a"\naddress = "a:1"\n`, "a")).toBe("");
  });

  test("a node followed by another table", () => {
    const text = `[[nodes]]\nname = "a"\naddress = "a:1"\n\n[tls]\nca_cert = "x"\n`;
    expect(removeNodeFromText(text, "a")).toBe(`[tls]\nca_cert = "x"\n`);
  });

  test("an unknown name is not_found; an empty file too", () => {
    const err = failure(() => removeNodeFromText(FIXTURE, "nope"));
    expect(err.code).toBe("not_found");
    expect(err.hint).toContain("rift, vade, orbit");
    expect(failure(() => removeNodeFromText("", "rift")).code).toBe("not_found");
  });
});

describe("removeNodeFromText: trailing blank lines", () => {
  test("removing the last block after a blank line leaves no blank line at the end", () => {
    const text = `[tls]\nca_cert = "x"\n\n[[nodes]]\nname = "a"\naddress = "a:1"\n`;
    expect(removeNodeFromText(text, "a")).toBe(`[tls]\nca_cert = "x"\n`);
  });
});
