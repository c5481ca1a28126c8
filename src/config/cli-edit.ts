/**
 * Targeted edits of the CLI config text for `mcp node add` / `mcp node remove`:
 * only the `[[nodes]]` block concerned changes; every comment and the layout of
 * everything else stay byte-for-byte.
 */
import { McpError } from "../lib/errors.ts";
import { isValidName, NAME_RULE_TEXT } from "../lib/names.ts";
import { formatKeyPath, scanToml } from "./_locate.ts";
import { hostPortProblem, splitHostPort } from "./_paths.ts";
import { lineEnding, tomlString } from "./_toml.ts";
import { validateCliConfigText } from "./cli-parse.ts";

/** What `mcp node add` writes; empty or omitted optional fields are left out of the file. */
export interface NodeInput {
  name: string;
  address: string;
  /** Written only when it differs from the name. */
  serverName?: string;
  caCert?: string;
  tokenPath?: string;
}

/** Options of the node edits. */
export interface NodeEditOptions {
  /** The file's name for messages about the existing text (default "mcp.toml"). */
  source?: string;
}

/**
 * Appends a `[[nodes]]` block for node at the end of the CLI config text
 * (after one blank line; "" gives a new file). Throws invalid_argument for a
 * bad name or address or an invalid existing text, already_exists when the
 * name is configured, failed_precondition when the file writes `nodes` as an
 * inline array (which cannot be appended to).
 */
export function addNodeToText(text: string, node: NodeInput, opts: NodeEditOptions = {}): string {
  const source = opts.source ?? "mcp.toml";
  if (!isValidName(node.name)) {
    throw new McpError("invalid_argument", `${JSON.stringify(node.name)} is not a valid node name (${NAME_RULE_TEXT})`, "pick a name that follows the rule");
  }
  if (!splitHostPort(node.address)) throw new McpError("invalid_argument", `address: ${hostPortProblem(node.address)}`, "give the agent's address as host:port");
  const raw = validateCliConfigText(text, source);
  if ((raw.nodes ?? []).some((n) => n.name === node.name)) {
    throw new McpError("already_exists", `node ${JSON.stringify(node.name)} is already configured in ${source}`, `remove it first with mcp node remove ${node.name}, or pick another name`);
  }
  assertNodesAreTables(text, source);

  const nl = lineEnding(text);
  const block = [`[[nodes]]`, `name = ${tomlString(node.name)}`, `address = ${tomlString(node.address)}`];
  if (node.serverName && node.serverName !== node.name) block.push(`server_name = ${tomlString(node.serverName)}`);
  if (node.caCert) block.push(`ca_cert = ${tomlString(node.caCert)}`);
  if (node.tokenPath) block.push(`token_path = ${tomlString(node.tokenPath)}`);

  let prefix = text;
  if (prefix !== "" && !prefix.endsWith("\n")) prefix += nl;
  const lines = splitLines(prefix);
  if (lines.length > 0 && !isBlank(lines[lines.length - 1]!)) prefix += nl;
  const out = prefix + block.join(nl) + nl;

  const after = verify(out, source);
  const added = (after.nodes ?? []).find((n) => n.name === node.name);
  if (!added || added.address !== node.address || (after.nodes ?? []).length !== (raw.nodes ?? []).length + 1) {
    throw new McpError("internal", `adding node ${node.name} to ${source} did not give the expected result`, "report this; edit the file by hand meanwhile");
  }
  return out;
}

/**
 * Removes the `[[nodes]]` block of the named node: from its header up to the
 * next table header or the end of the text. Comment lines directly above the
 * next header belong to that header and stay; a comment directly above the
 * removed header stays too (it cannot be told from a section comment).
 * Throws not_found when no node has that name.
 */
export function removeNodeFromText(text: string, name: string, opts: NodeEditOptions = {}): string {
  const source = opts.source ?? "mcp.toml";
  const raw = validateCliConfigText(text, source);
  const nodes = raw.nodes ?? [];
  const index = nodes.findIndex((n) => n.name === name);
  if (index < 0) {
    const hint = nodes.length > 0 ? `configured nodes: ${nodes.map((n) => n.name).join(", ")}` : `no nodes are configured in ${source}`;
    throw new McpError("not_found", `node ${JSON.stringify(name)} is not configured in ${source}`, hint);
  }
  assertNodesAreTables(text, source);

  const entries = scanToml(text);
  const headers = entries.filter((e) => e.kind === "table" || e.kind === "array-table");
  const header = headers.find((e) => formatKeyPath(e.path) === `nodes[${index}]`);
  if (!header) throw new McpError("internal", `cannot find the block of node ${name} in ${source}`, "edit the file by hand");
  const next = headers.find((e) => e.line > header.line);

  const lines = splitLines(text);
  let start = header.line - 1;
  let end = next ? next.line - 1 : lines.length;
  if (next) {
    while (end - 1 > start && isComment(lines[end - 1]!)) end--;
  } else {
    // The block was the last thing in the file: drop the blank lines that separated it.
    while (start > 0 && isBlank(lines[start - 1]!)) start--;
  }
  const out = lines.slice(0, start).join("") + lines.slice(end).join("");

  const after = verify(out, source);
  if ((after.nodes ?? []).some((n) => n.name === name) || (after.nodes ?? []).length !== nodes.length - 1) {
    throw new McpError("internal", `removing node ${name} from ${source} did not give the expected result`, "report this; edit the file by hand meanwhile");
  }
  return out;
}

function assertNodesAreTables(text: string, source: string): void {
  if (scanToml(text).some((e) => e.kind === "key" && formatKeyPath(e.path) === "nodes")) {
    throw new McpError("failed_precondition", `${source} writes nodes as an inline array`, "rewrite them as [[nodes]] tables, or edit the file by hand");
  }
}

function verify(text: string, source: string) {
  try {
    return validateCliConfigText(text, source);
  } catch (err) {
    throw new McpError("internal", `editing ${source} gave an invalid file`, "report this; edit the file by hand meanwhile", { cause: err });
  }
}

/** Lines with their line endings, so joining them gives the text back exactly. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function isBlank(line: string): boolean {
  return /^\s*$/.test(line);
}

function isComment(line: string): boolean {
  return /^\s*#/.test(line);
}
