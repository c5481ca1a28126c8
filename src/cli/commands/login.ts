import { defineCommand } from "citty";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { findNode } from "../../config/index.ts";
import { mciasLogin, TotpRequired } from "../../mcias/index.ts";
import type { CliConfig } from "../../config/index.ts";
import { McpError, messageOf } from "../../lib/errors.ts";
import { commonArgs, loadConfig, nodeTokenPath } from "../context.ts";
import type { CliIO } from "../../lib/io.ts";
import { note } from "../../lib/output.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: {
      name: "login",
      description: "Log in to MCIAS (asks for username and password, never echoed) and store the token; with --token-stdin, store a local token",
    },
    args: {
      node: { type: "string", description: "the node the token is for (local tokens are per node)", valueHint: "name" },
      "token-stdin": { type: "boolean", description: "read the token from standard input" },
      username: { type: "string", description: "MCIAS username (default: asked)", valueHint: "name" },
      ...commonArgs,
    },
    async run({ args }) {
      const cfg = await loadConfig(io, args.config);
      if (!args["token-stdin"]) return mciasLoginCommand(io, cfg, args.username);
      const token = (await io.readStdin()).trim();
      if (!token) throw new McpError("invalid_argument", "no token on standard input", "pipe the token in: echo \"$TOKEN\" | mcp login --node <node> --token-stdin");
      if (/\s/.test(token)) throw new McpError("invalid_argument", "standard input holds more than one word; a token is one", "pipe only the token (the last line of `mcp agent token create`)");
      const path = args.node ? nodeTokenPath(cfg, findNode(cfg, args.node)) : cfg.auth.tokenPath;
      storeToken(path, token);
      note(io, `token stored in ${path}${args.node ? ` for node ${args.node}` : ""}`);
    },
  });

/** Writes a token file: the directory 0700, the file 0600, one line. */
function storeToken(path: string, token: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, token + "\n", { mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * MCIAS login (SPEC §5.2): username (asked, or --username), password (never
 * echoed), a TOTP code when MCIAS asks for one; the token goes to
 * [auth] token_path (an MCIAS token serves every node).
 */
async function mciasLoginCommand(io: CliIO, cfg: CliConfig, username: string | undefined): Promise<number> {
  if (!cfg.mcias) {
    throw new McpError("invalid_argument", `${cfg.path} has no [mcias] section`,
      "add [mcias] server_url (and service_name, ca_cert), or store a local token: echo \"$TOKEN\" | mcp login --node <node> --token-stdin");
  }
  let caPem = "";
  if (cfg.mcias.caCert) {
    try {
      caPem = readFileSync(cfg.mcias.caCert, "utf8");
    } catch (err) {
      throw new McpError("invalid_argument", `cannot read [mcias] ca_cert ${cfg.mcias.caCert}: ${messageOf(err)}`, "fix the path in the CLI config");
    }
  }
  const user = username || ((await io.ask("username: ")) ?? "").trim();
  if (!user) throw new McpError("invalid_argument", "no username", "type it, or pass --username");
  const password = await io.readSecret("password: ");
  if (!password) throw new McpError("invalid_argument", "no password", "type it at the prompt (it is not echoed)");
  const server = { serverUrl: cfg.mcias.serverUrl, caPem };
  const c = { username: user, password, serviceName: cfg.mcias.serviceName };
  let r: { token: string; expiresAt: number };
  try {
    r = await mciasLogin(server, c);
  } catch (err) {
    if (!(err instanceof TotpRequired)) throw err;
    const totpCode = ((await io.readSecret("TOTP code: ")) ?? "").trim();
    if (!totpCode) throw new McpError("invalid_argument", "no TOTP code", "type the code from your authenticator");
    r = await mciasLogin(server, { ...c, totpCode });
  }
  storeToken(cfg.auth.tokenPath, r.token);
  note(io, `logged in as ${user}; token stored in ${cfg.auth.tokenPath}${r.expiresAt ? ` (expires ${new Date(r.expiresAt).toISOString()})` : ""}`);
  return 0;
}
