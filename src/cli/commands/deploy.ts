import { defineCommand } from "citty";
import { McpError } from "../../lib/errors.ts";
import { diffService, loadServiceDef } from "../../servicedef/index.ts";
import { commonArgs, connectNode, jsonArg, loadConfig, lockWaitFrom, parseTarget, waitArg } from "../context.ts";
import { DEFAULT_PARALLEL, deployAll } from "../fleet/deploy-all.ts";
import type { CliIO } from "../../lib/io.ts";
import { note, warn } from "../../lib/output.ts";
import { printChanges, printResults, showProgress } from "../report.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "deploy", description: "Deploy a service (or one component) from its definition file; --all: every active one, in `after` order" },
    args: {
      target: { type: "positional", description: "<service>[/<component>]", required: false },
      all: { type: "boolean", description: "every active definition: nodes in parallel, services in `after` order, a summary" },
      force: { type: "boolean", description: "redeploy even when the running container already matches" },
      "dry-run": { type: "boolean", description: "print what would change (as mcp diff; with --all: the plan) and change nothing" },
      parallel: { type: "string", description: `with --all: services deploying at once on one node (default ${DEFAULT_PARALLEL})`, valueHint: "N" },
      "check-images": { type: "boolean", description: "with --all: send services their node shows up to date too (it pulls and compares images)" },
      ...waitArg,
      ...jsonArg,
      ...commonArgs,
    },
    async run({ args }) {
      if (args.all) {
        if (args.target) throw new McpError("invalid_argument", `--all deploys every active service: do not name one ("${args.target}")`, "mcp deploy --all, or mcp deploy <service>");
        const parallel = args.parallel === undefined ? DEFAULT_PARALLEL : Number(args.parallel);
        if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64) throw new McpError("invalid_argument", `--parallel: "${args.parallel}" is not a whole number from 1 to 64`, "for example: --parallel 2");
        const cfg = await loadConfig(io, args.config);
        return deployAll(io, cfg, { dryRun: !!args["dry-run"], force: !!args.force, lockWaitMs: lockWaitFrom(args.wait), json: !!args.json, parallel, checkImages: !!args["check-images"] });
      }
      if (!args.target) throw new McpError("invalid_argument", "name the service to deploy, or --all", "mcp deploy <service>[/<component>], or mcp deploy --all");
      if (args.parallel !== undefined || args["check-images"]) throw new McpError("invalid_argument", "--parallel and --check-images go with --all", "mcp deploy --all --parallel 2");
      const target = parseTarget(args.target);
      const lockWaitMs = lockWaitFrom(args.wait);
      const cfg = await loadConfig(io, args.config);
      const { def, warnings } = await loadServiceDef(cfg.services.dir, target.service);
      for (const w of warnings) warn(io, w);
      if (!def.active) {
        throw new McpError("invalid_argument", `service ${def.name} is inactive (active = false in its definition)`, `start it: mcp start ${def.name}`);
      }
      if (target.component && !def.components.some((c) => c.name === target.component)) {
        throw new McpError("invalid_argument", `service ${def.name} has no component "${target.component}"`,
          `its components: ${def.components.map((c) => c.name).join(", ")}`);
      }
      const client = connectNode(cfg, def.node);
      try {
        if (args["dry-run"]) {
          const rec = (await client.listServices()).services.find((s) => s.name === def.name);
          const only = <T extends { name: string }>(cs: T[]) => cs.filter((c) => !target.component || c.name === target.component);
          const deployed = rec ? { active: rec.active, components: only(rec.components).map((c) => c.spec) } : null;
          printChanges(io, def.name, def.node, diffService({ active: def.active, components: only(def.components) }, deployed));
          note(io, "dry run: nothing was changed");
          return 0;
        }
        const outcome = await client.deploy({ service: def, component: target.component, force: !!args.force, lockWaitMs }, (p) => showProgress(io, def.name, p));
        for (const w of outcome.warnings) warn(io, w);
        return printResults(io, def.name, outcome.results);
      } finally {
        client.close();
      }
    },
  });
