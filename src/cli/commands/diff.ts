import { defineCommand } from "citty";
import { findNode } from "../../config/index.ts";
import { diffService, loadServiceDef, readServiceDefs, type SpecChange } from "../../servicedef/index.ts";
import type { ServiceDef } from "../../model/index.ts";
import { askAllNodes, commonArgs, jsonArg, loadConfig } from "../context.ts";
import type { CliIO } from "../../lib/io.ts";
import { printJson } from "../../lib/output.ts";
import { printChanges, reportNodeFailures } from "../report.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "diff", description: "Per-field difference between the local definitions and the deployed specs" },
    args: {
      service: { type: "positional", description: "only this service", required: false },
      ...commonArgs,
      ...jsonArg,
    },
    async run({ args }) {
      const cfg = await loadConfig(io, args.config);
      let defs: ServiceDef[];
      if (args.service) defs = [(await loadServiceDef(cfg.services.dir, args.service)).def];
      else defs = (await readServiceDefs(cfg.services.dir)).defs;
      // Every node a definition names must be known before anything is sent.
      const nodes = [...new Set(defs.map((d) => d.node))].map((n) => findNode(cfg, n));
      const answers = nodes.length ? await askAllNodes({ ...cfg, nodes }, (c) => c.listServices()) : [];
      const out: { service: string; node: string; changes: SpecChange[] }[] = [];
      for (const def of defs) {
        const a = answers.find((x) => x.node === def.node);
        if (!a?.ok) continue;
        const rec = a.value.services.find((s) => s.name === def.name);
        const deployed = rec ? { active: rec.active, components: rec.components.map((c) => c.spec) } : null;
        out.push({ service: def.name, node: def.node, changes: diffService(def, deployed) });
      }
      if (args.json) printJson(io, { services: out });
      else for (const d of out) printChanges(io, d.service, d.node, d.changes);
      return reportNodeFailures(io, answers);
    },
  });
