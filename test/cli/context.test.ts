import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readCliConfig } from "../../src/config/index.ts";
import { connect } from "../../src/cli/context.ts";
import { tempDir } from "../support/mcp.ts";

describe("connect: the node's CA file", () => {
  test("an empty or garbled CA file is a clear error before anything is dialled (an empty one left node:tls to the system's roots)", async () => {
    const dir = tempDir("mcp-ctx-");
    for (const [name, text] of [["empty.pem", ""], ["garbled.pem", "not a certificate\n"]] as const) {
      writeFileSync(join(dir, name), text);
      writeFileSync(join(dir, "mcp.toml"), `[[nodes]]\nname = "rift"\naddress = "127.0.0.1:9444"\nca_cert = ${JSON.stringify(join(dir, name))}\n`);
      writeFileSync(join(dir, "token"), "mcp_x\n");
      const cfg = await readCliConfig(join(dir, "mcp.toml"), { home: dir });
      let err: unknown;
      try {
        connect({ ...cfg, auth: { ...cfg.auth, tokenPath: join(dir, "token") } }, cfg.nodes[0]!);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: "invalid_argument", message: `the CA certificate for node rift (${join(dir, name)}) holds no PEM certificate` });
    }
  });
});
