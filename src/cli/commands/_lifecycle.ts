import { defineCommand } from "citty";
import { existsSync, readFileSync } from "node:fs";
import { loadServiceDef, serviceDefPath, setActive, writeFileAtomic } from "../../servicedef/index.ts";
import { commonArgs, connectNode, loadConfig, parseTarget } from "../context.ts";
import type { CliIO } from "../../lib/io.ts";
import { note } from "../../lib/output.ts";
import { printResults } from "../report.ts";

type Op = "stop" | "start" | "restart";

const DESCRIPTIONS: Record<Op, string> = {
  stop: "Stop a service (sets active = false in its file) or one component",
  start: "Start a service (sets active = true in its file) or one component",
  restart: "Restart a service's containers (desired state unchanged)",
};

/** stop, start and restart share their shape; only the RPC and the file edit differ. */
export function lifecycleCommand(io: CliIO, op: Op) {
  return defineCommand({
    meta: { name: op, description: DESCRIPTIONS[op] },
    args: {
      target: { type: "positional", description: "<service>[/<component>]", required: true },
      ...commonArgs,
    },
    async run({ args }) {
      const target = parseTarget(args.target);
      const cfg = await loadConfig(io, args.config);
      const { def } = await loadServiceDef(cfg.services.dir, target.service);
      const client = connectNode(cfg, def.node);
      try {
        const call = op === "stop" ? client.stopService : op === "start" ? client.startService : client.restartService;
        const results = await call.call(client, target);
        if (op !== "restart") {
          if (target.component) {
            note(io, `${def.name}/${target.component}: desired state is ${op === "stop" ? "stopped" : "running"} in the registry only; ` +
              `the definition has no per-component flag, so the next sync of an active service sets it back to running`);
          } else {
            // The agent accepted the change: keep the operator's file in step (a targeted edit).
            const path = serviceDefPath(cfg.services.dir, def.name);
            if (existsSync(path)) {
              const before = readFileSync(path, "utf8");
              const after = setActive(before, op === "start");
              if (after !== before) {
                await writeFileAtomic(path, after);
                note(io, `${path}: active = ${op === "start"}`);
              }
            }
          }
        }
        return printResults(io, def.name, results);
      } finally {
        client.close();
      }
    },
  });
}
