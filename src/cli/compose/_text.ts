/**
 * The three text grammars of compose files besides YAML, as compose reads
 * them: the string form of `command`/`entrypoint` (split like POSIX shell
 * words, as docker-py's shlex.split does), `.env`/`env_file` files (the
 * python-dotenv grammar docker-compose uses), and `${VAR}` interpolation.
 * Pure: each returns its result or a problem sentence.
 */

/** Splits a command string into words like Python's shlex.split (posix): quotes group, backslash escapes, no comments. */
export function splitShellWords(text: string): string[] | string {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "" | "'" | "\"" = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = "";
      else word += c;
    } else if (quote === "\"") {
      if (c === "\"") quote = "";
      else if (c === "\\" && (text[i + 1] === "\"" || text[i + 1] === "\\")) word += text[++i];
      else word += c;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      inWord = true;
      if (c === "'" || c === "\"") quote = c;
      else if (c === "\\") {
        if (i + 1 >= text.length) return "ends with a lone backslash";
        word += text[++i];
      } else word += c;
    }
  }
  if (quote) return `has no closing quotation (${quote})`;
  if (inWord) words.push(word);
  return words;
}

/** One binding of a dotenv file: the key, its value (null: `KEY` alone, taken from the shell by compose), its line. */
export interface DotenvEntry {
  key: string;
  value: string | null;
  line: number;
}

const DOUBLE_ESCAPES: Record<string, string> = { "\\": "\\", "'": "'", "\"": "\"", a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };

/**
 * Parses a dotenv file (`.env`, `env_file`) the way python-dotenv does:
 * `[export ]KEY=VALUE`, `#` comments, blank lines, single-quoted values
 * literal (`\'` and `\\` escaped), double-quoted values with C escapes and
 * spanning lines, unquoted values with a trailing ` #comment` cut and
 * spaces trimmed. Returns the entries, or `{ line, problem }` for a line
 * that is not a binding (python-dotenv skips those with a warning; mcp
 * refuses: the file means something).
 */
export function parseDotenv(text: string): DotenvEntry[] | { line: number; problem: string } {
  const out: DotenvEntry[] = [];
  const src = text.replace(/^\uFEFF/, "");
  let i = 0;
  let line = 1;
  const eat = (re: RegExp): string[] | null => {
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m || m.index !== i) return null;
    line += (m[0].match(/\r\n|\n|\r/g) ?? []).length;
    i += m[0].length;
    return m;
  };
  while (i < src.length) {
    eat(/\s*/y);
    if (i >= src.length) break;
    const at = line;
    eat(/(?:export[^\S\r\n]+)?/y);
    if (src[i] === "#") {
      eat(/[^\r\n]*/y);
      continue;
    }
    const key = src[i] === "'" ? eat(/'([^']+)'/y) : eat(/([^=#\s]+)/y);
    if (!key) return { line: at, problem: "is not KEY=VALUE" };
    eat(/[^\S\r\n]*/y);
    let value: string | null = null;
    if (eat(/=[^\S\r\n]*/y)) {
      let m: string[] | null;
      if (src[i] === "'" && (m = eat(/'((?:\\'|[^'])*)'/y))) value = m[1]!.replace(/\\[\\']/g, (e) => e[1]!);
      else if (src[i] === "\"" && (m = eat(/"((?:\\"|[^"])*)"/y))) value = m[1]!.replace(/\\[\\'"abfnrtv]/g, (e) => DOUBLE_ESCAPES[e[1]!]!);
      else value = eat(/[^\r\n]*/y)![0]!.replace(/\s+#.*/, "").trimEnd();
    }
    eat(/[^\S\r\n]*#[^\r\n]*/y);
    if (!eat(/[^\S\r\n]*(?:\r\n|\n|\r|$)/y)) return { line: at, problem: "has text after its value (quote the value)" };
    out.push({ key: key[1]!, value, line: at });
  }
  return out;
}

/** What interpolating one string gave: its value and the variables that were set nowhere. */
export interface Interpolated {
  value: string;
  missing: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Interpolates `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?message}`, `${VAR?message}` and `$$` (a literal `$`) like
 * docker-compose, from vars (the `.env` file; never the importing shell).
 * An unset variable without a default becomes "" and is reported as missing.
 * Returns the problem for a malformed `$` or a `:?` that fails.
 */
export function interpolate(text: string, vars: ReadonlyMap<string, string>): Interpolated | string {
  if (!text.includes("$")) return { value: text, missing: [] };
  let value = "";
  const missing: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== "$") {
      value += c;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      value += "$";
      i++;
      continue;
    }
    if (next === "{") {
      const close = text.indexOf("}", i + 2);
      if (close < 0) return `has "\${" without a closing "}" (write $$ for a literal $)`;
      const body = text.slice(i + 2, close);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])(.*))?$/s.exec(body);
      if (!m) return `has an invalid interpolation "\${${body.slice(0, 40)}}" (write $$ for a literal $)`;
      const [, name, colon, op, arg] = m as unknown as [string, string, string | undefined, string | undefined, string | undefined];
      const set = vars.get(name);
      const unset = set === undefined || (colon === ":" && set === "");
      if (op === "-") value += unset ? arg ?? "" : set;
      else if (op === "?") {
        if (unset) return `needs ${name}: ${arg || "it is not set"} (set it in the .env file beside the compose file)`;
        value += set;
      } else if (set === undefined) missing.push(name);
      else value += set;
      i = close;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (!m) return `has a "$" that starts no variable (write $$ for a literal $)`;
    const set = vars.get(m[0]);
    if (set === undefined) missing.push(m[0]);
    else value += set;
    i += m[0].length;
  }
  return { value, missing };
}

/** True for a name an environment variable may have in `.env` lookups. */
export function isVariableName(text: string): boolean {
  return NAME.test(text);
}
