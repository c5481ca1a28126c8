import { defineCommand } from "citty";
import { createToken, parseServiceList } from "../auth/index.ts";
import { readAgentConfig } from "../../config/index.ts";
import { parseDuration } from "../../lib/duration.ts";
import { McpError } from "../../lib/errors.ts";
import { systemClock } from "../../lib/clock.ts";
import { listTokens, openDb, revokeToken } from "../store/index.ts";
import type { CliIO } from "../../lib/io.ts";
import { note, printJson, renderTable } from "../../lib/output.ts";

const configArg = { config: { type: "string", description: "the agent's config", default: "/srv/mcp/mcp-agent.toml", valueHint: "path" } } as const;

async function openRegistry(io: CliIO, path: string) {
  const cfg = await readAgentConfig(path, { home: io.env.HOME ?? "", env: io.env });
  return openDb(cfg.database.path);
}

const iso = (ms: number) => (ms ? new Date(ms).toISOString().slice(0, 19) + "Z" : "-");

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "token", description: "Local-mode tokens of this node (run on the node)" },
    subCommands: {
      create: defineCommand({
        meta: { name: "create", description: "Create a token; it is printed once, as the last line" },
        args: {
          name: { type: "string", description: "who or what uses it", required: true, valueHint: "name" },
          role: { type: "string", description: "admin, operator or viewer", required: true, valueHint: "role" },
          ttl: { type: "string", description: "lifetime (e.g. 90d); none = never expires", valueHint: "duration" },
          services: { type: "string", description: "the only services it may act on (operator or viewer); none = every service", valueHint: "a,b" },
          ...configArg,
        },
        async run({ args }) {
          const ttlMs = args.ttl ? parseDuration(args.ttl, "--ttl") : 0;
          // `--services` with no value reaches here as "" or true: a scope that names nothing, refused.
          const services = args.services === undefined ? undefined : parseServiceList(typeof args.services === "string" ? args.services : "");
          const db = await openRegistry(io, args.config);
          try {
            const secret = createToken(db, { name: args.name, role: args.role, ttlMs, ...(services ? { services } : {}) }, systemClock);
            const scope = services ? `, services ${services.join(", ")}` : "";
            note(io, `token "${args.name}" (${args.role}${scope}${ttlMs ? `, expires ${iso(Date.now() + ttlMs)}` : ", no expiry"}) created; it is shown once:`);
            io.out(`${secret}\n`);
          } finally {
            db.close();
          }
        },
      }),
      list: defineCommand({
        meta: { name: "list", description: "List tokens (never their secrets)" },
        args: { json: { type: "boolean", description: "print JSON" }, ...configArg },
        async run({ args }) {
          const db = await openRegistry(io, args.config);
          try {
            const tokens = listTokens(db).map((t) => ({
              name: t.name, role: t.role, services: t.services, created: iso(t.createdAt), expires: iso(t.expiresAt), last_used: iso(t.lastUsedAt),
              state: t.revokedAt ? "revoked" : t.expiresAt && t.expiresAt <= Date.now() ? "expired" : "valid",
            }));
            if (args.json) printJson(io, { tokens });
            // SERVICES "*": every service (the JSON says [] for it).
            else io.out(renderTable(["NAME", "ROLE", "SERVICES", "STATE", "CREATED", "EXPIRES", "LAST USED"],
              tokens.map((t) => [t.name, t.role, t.services.length ? t.services.join(",") : "*", t.state, t.created, t.expires, t.last_used]), io.color));
          } finally {
            db.close();
          }
        },
      }),
      revoke: defineCommand({
        meta: { name: "revoke", description: "Revoke a token (effective at once)" },
        args: { name: { type: "positional", description: "token name", required: true }, ...configArg },
        async run({ args }) {
          const db = await openRegistry(io, args.config);
          try {
            if (!revokeToken(db, args.name, Date.now())) {
              throw new McpError("invalid_argument", `no valid token named "${args.name}"`, "see: mcp agent token list");
            }
            note(io, `token "${args.name}" revoked`);
          } finally {
            db.close();
          }
        },
      }),
    },
  });
