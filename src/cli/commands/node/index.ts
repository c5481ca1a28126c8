import { defineCommand } from "citty";
import type { CliIO } from "../../io.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "node", description: "Manage the nodes in the CLI config" },
    subCommands: {
      list: () => import("./list.ts").then((m) => m.default(io)),
      add: () => import("./add.ts").then((m) => m.default(io)),
      remove: () => import("./remove.ts").then((m) => m.default(io)),
    },
  });
