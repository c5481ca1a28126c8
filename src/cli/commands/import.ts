import { linkSync, mkdirSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";
import { defineCommand } from "citty";
import { McpError, isMcpError } from "../../lib/errors.ts";
import { assertName } from "../../lib/names.ts";
import type { CliIO } from "../../lib/io.ts";
import { note, warn } from "../../lib/output.ts";
import { RESERVED_SERVICE_NAMES, parseServiceDef, serviceDefPath } from "../../servicedef/index.ts";
import { createEnvFileReader, importCompose, readComposeFile, readDotenvVars, renderImport, type ImportItem } from "../compose/index.ts";
import { commonArgs, loadConfig } from "../context.ts";

const compose = (io: CliIO) =>
  defineCommand({
    meta: {
      name: "compose",
      description: "Write a service definition from a docker-compose / podman-compose file; what cannot be mapped is listed (and then nothing is written without --force)",
    },
    args: {
      file: { type: "positional", description: "the compose file", required: true },
      service: { type: "string", description: "the mcp service to make (its components are the compose services)", required: true, valueHint: "name" },
      node: { type: "string", description: "the node the service runs on", required: true, valueHint: "name" },
      out: { type: "string", alias: "o", description: "where to write (default: <services.dir>/<service>.toml); never overwritten", valueHint: "file" },
      force: { type: "boolean", description: "write even with items that cannot be mapped (listed at the top of the file)" },
      network: { type: "string", description: "an existing podman network every component joins (compose's networks map onto it)", valueHint: "name" },
      "srv-root": { type: "string", description: "the node's srv root: relative binds go to <srv-root>/<service>/ (default /srv)", valueHint: "dir" },
      ...commonArgs,
    },
    async run({ args }) {
      assertName("--service", args.service);
      if (RESERVED_SERVICE_NAMES.includes(args.service)) {
        throw new McpError("invalid_argument", `--service: ${args.service} is reserved (it is the agent's own directory)`, "choose another name");
      }
      assertName("--node", args.node);
      if (args.network !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(args.network)) {
        throw new McpError("invalid_argument", `--network: ${JSON.stringify(args.network.slice(0, 80))} is not a podman network name`, "name an existing podman network (podman network ls on the node)");
      }
      const srvRoot = args["srv-root"] ?? "/srv";
      if (!srvRoot.startsWith("/")) throw new McpError("invalid_argument", `--srv-root: ${JSON.stringify(srvRoot)} is not an absolute path`, "give the node's [agent] srv_root, e.g. /srv");
      const file = resolve(io.cwd, args.file);
      const cfg = args.out ? undefined : await loadConfig(io, args.config);
      const out = args.out ? resolve(io.cwd, args.out) : serviceDefPath(cfg!.services.dir, args.service);
      if (cfg && !cfg.nodes.some((n) => n.name === args.node)) {
        warn(io, `node ${args.node} is not in ${cfg.path}: add it before deploying (mcp node add ${args.node} <host:port> --ca-cert <ca.pem>)`);
      }
      refuseExisting(out);
      const dir = dirname(file);
      const text = readComposeFile(file);
      const result = importCompose(text, {
        source: args.file, dir, service: args.service, node: args.node, srvRoot: srvRoot.replace(/(.)\/+$/, "$1"),
        network: args.network, vars: readDotenvVars(dir), readEnvFile: createEnvFileReader(dir),
      });
      for (const n of result.notes) note(io, `note: ${line(n)}`);
      for (const u of result.unmapped) warn(io, `not mapped: ${line(u)}`);
      if (result.unmapped.length > 0 && !args.force) {
        throw new McpError("invalid_argument", `${result.unmapped.length} item(s) of ${args.file} cannot be mapped (listed above); nothing was written`,
          "change the compose file, or write the definition anyway with --force (the list goes at the top of the file)");
      }
      const definition = renderImport(result, args.file);
      try {
        parseServiceDef(definition, `${basename(out)} (made from ${args.file})`, { expectName: args.service });
      } catch (err) {
        if (!isMcpError(err)) throw err;
        throw new McpError("invalid_argument", `the definition made from ${args.file} is refused by mcp's own rules: ${err.message}`,
          "the key it names holds a value compose takes and mcp does not: change it in the compose file");
      }
      writeNew(out, definition, result.def.components.some((c) => c.env.length > 0) ? 0o600 : 0o644);
      note(io, `wrote ${out} (${result.def.components.length} component(s)${result.unmapped.length > 0 ? `, ${result.unmapped.length} item(s) not carried over, listed at its top` : ""})`);
      const serviceDir = `${srvRoot.replace(/(.)\/+$/, "$1")}/${args.service}`;
      for (const c of result.copies) {
        const kind = localKind(c.local);
        const where = c.remote ? `${serviceDir}/${c.remote}` : serviceDir;
        const push = kind === "file" ? `mcp push ${c.local} ${args.service} ${c.remote}` : `mcp push <file> ${args.service} ${c.remote ? `${c.remote}/` : ""}<file>, for each file of ${c.local}`;
        // A deploy makes a missing bind source as a directory: a file must be there first.
        note(io, `${c.path} mounts ${where}: put it there before the first deploy (${push})${kind === "file" ? "; a deploy that does not find this file makes a directory of that name" : ""}`);
      }
      if (result.copies.length > 0) note(io, `mcp push needs ${serviceDir} on the node: make it once as the node's admin (install -d -o mcp -g mcp ${serviceDir})`);
      note(io, `next: mcp deploy ${args.service}`);
      return 0;
    },
  });

/** What a local path is, for the copy notes. */
function localKind(path: string): "file" | "directory" | "missing" {
  try {
    return statSync(path).isDirectory() ? "directory" : "file";
  } catch {
    return "missing";
  }
}

/** `<file>:<line>:<col>: <compose path>: <message>`. */
function line(i: ImportItem): string {
  return `${i.where}: ${i.path}: ${i.message}`;
}

/** Refuses a path that exists: an import never replaces a definition. */
function refuseExisting(path: string): void {
  let exists = true;
  try {
    statSync(path);
  } catch {
    exists = false;
  }
  if (exists) throw new McpError("invalid_argument", `${path} exists; mcp import never overwrites a definition`, "remove or rename it, or write elsewhere with --out <file>");
}

/**
 * Writes a new file all at once and never over an existing one: a synced
 * temporary file is hard-linked to the path (which fails if it exists),
 * then removed.
 */
function writeNew(path: string, text: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  writeFileSync(tmp, text, { flag: "wx", mode, flush: true });
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") refuseExisting(path);
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "import", description: "Write a service definition from another tool's description of it" },
    subCommands: { compose: () => compose(io) },
  });
