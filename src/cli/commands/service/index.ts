import { defineCommand } from "citty";
import type { CliIO } from "../../../lib/io.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "service", description: "Show, export or edit a service's definition" },
    subCommands: {
      show: () => import("./show.ts").then((m) => m.default(io)),
      export: () => import("./export.ts").then((m) => m.default(io)),
      edit: () => import("./edit.ts").then((m) => m.default(io)),
    },
  });
