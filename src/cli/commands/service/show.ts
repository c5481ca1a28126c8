import { defineCommand } from "citty";
import { serviceDefToToml } from "../../../servicedef/index.ts";
import { commonArgs, jsonArg, loadConfig, nodeArg, serviceArg } from "../../context.ts";
import type { CliIO } from "../../../lib/io.ts";
import { printJson } from "../../../lib/output.ts";
import { deployedDefinition } from "./_registry.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "show", description: "Print the registry's spec of a service as a definition file (TOML)" },
    args: {
      ...serviceArg,
      ...nodeArg,
      ...commonArgs,
      ...jsonArg,
    },
    async run({ args }) {
      const cfg = await loadConfig(io, args.config);
      const def = await deployedDefinition(cfg, args.service, args.node);
      if (args.json) printJson(io, def);
      else io.out(serviceDefToToml(def));
      return 0;
    },
  });
