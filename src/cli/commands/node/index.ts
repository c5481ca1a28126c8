import { defineCommand } from "citty";
import type { CliIO } from "../../../lib/io.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "node", description: "The nodes: list and status (asked of each agent), add and remove (the CLI config), prune images" },
    subCommands: {
      list: () => import("./list.ts").then((m) => m.default(io)),
      add: () => import("./add.ts").then((m) => m.default(io)),
      remove: () => import("./remove.ts").then((m) => m.default(io)),
      status: () => import("./status.ts").then((m) => m.default(io)),
      prune: () => import("./prune.ts").then((m) => m.default(io)),
    },
  });
