import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { defineCommand } from "citty";
import { McpError } from "../../../lib/errors.ts";
import { isRedactedEnv, parseServiceDef, serviceDefPath, serviceDefToToml, writeFileAtomic } from "../../../servicedef/index.ts";
import { commonArgs, loadConfig, nodeArg, serviceArg } from "../../context.ts";
import type { CliIO } from "../../../lib/io.ts";
import { note } from "../../../lib/output.ts";
import { deployedDefinition } from "./_registry.ts";
import { exportKube } from "./_kube.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "export", description: "Write the registry's spec of a service as its definition file" },
    args: {
      ...serviceArg,
      output: { type: "string", alias: "o", description: "where to write (default: <services.dir>/<service>.toml)", valueHint: "file" },
      force: { type: "boolean", description: "overwrite an existing file" },
      format: { type: "string", description: "toml (a definition file, the default) or kube (Kubernetes YAML on stdout, or to -o)", valueHint: "toml|kube" },
      "kube-kind": { type: "string", description: "with --format kube: pod (the default) or deployment", valueHint: "pod|deployment" },
      ...nodeArg,
      ...commonArgs,
    },
    async run({ args }) {
      const cfg = await loadConfig(io, args.config);
      if (args.format !== undefined && args.format !== "toml" && args.format !== "kube") {
        throw new McpError("invalid_argument", `--format: ${JSON.stringify(args.format.slice(0, 40))} is not toml or kube`, "write --format kube for Kubernetes YAML, or leave it out for a definition file");
      }
      if (args.format === "kube") return exportKube(io, cfg, args);
      if (args["kube-kind"] !== undefined) throw new McpError("invalid_argument", "--kube-kind goes with --format kube", "add --format kube, or leave --kube-kind out");
      const path = args.output ? resolve(io.cwd, args.output) : serviceDefPath(cfg.services.dir, args.service);
      // Refused before anything is asked: the file stays as it is.
      if (existsSync(path) && !args.force) {
        throw new McpError("invalid_argument", `${path} exists`, `overwrite it with --force, or write elsewhere with -o <file>`);
      }
      const def = await deployedDefinition(cfg, args.service, args.node);
      // A viewer's token is sent env values as KEY=… (SPEC §7.1): a file written from them would deploy "…".
      if (def.components.some((c) => c.env.some(isRedactedEnv))) {
        throw new McpError("permission_denied", `node ${def.node} sent the env values of ${args.service} as KEY=… (this token is a viewer's)`,
          "export with an operator token; a viewer may read the spec with mcp service show");
      }
      const text = `# exported by mcp service export from node ${def.node}\n${serviceDefToToml(def)}`;
      parseServiceDef(text, path); // what is written must read back
      await writeFileAtomic(path, text, { createDir: true });
      note(io, `wrote ${path}`);
      return 0;
    },
  });
