import { defineCommand } from "citty";
import type { CliIO } from "../../../lib/io.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "secret", description: "Set, list or remove a service's secrets (kept on its node as podman secrets; values never leave the node)" },
    subCommands: {
      set: () => import("./set.ts").then((m) => m.default(io)),
      ls: () => import("./ls.ts").then((m) => m.default(io)),
      rm: () => import("./rm.ts").then((m) => m.default(io)),
    },
  });
