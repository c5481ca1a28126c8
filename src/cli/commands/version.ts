import { defineCommand } from "citty";
import pkg from "../../../package.json" with { type: "json" };
import type { CliIO } from "../../lib/io.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "version", description: "Print mcp's version" },
    run() {
      io.out(`mcp ${pkg.version} (bun ${Bun.version})\n`);
    },
  });
