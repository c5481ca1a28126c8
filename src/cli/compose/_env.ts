/**
 * A compose service's environment: `env_file` entries first (later files
 * win), then `environment` (map or list) over them, as compose merges them.
 * Values never appear in a message: only keys (SPEC §7.1).
 */
import { envProblem } from "../../servicedef/index.ts";
import { describe, type ImportContext } from "./_context.ts";
import { parseDotenv } from "./_text.ts";

/** Maps env_file and environment to mcp's `env` (`KEY=VALUE`, in compose's order of first appearance). */
export function mapEnv(ctx: ImportContext, service: Record<string, unknown>, path: string): string[] {
  const env = new Map<string, string>();
  if (service.env_file !== undefined && service.env_file !== null) {
    const files = Array.isArray(service.env_file) ? service.env_file : [service.env_file];
    const base = Array.isArray(service.env_file) ? `${path}.env_file` : null;
    files.forEach((f, i) => {
      const at = base === null ? `${path}.env_file` : `${base}[${i}]`;
      let file: string;
      if (f !== null && typeof f === "object" && !Array.isArray(f)) {
        const o = f as Record<string, unknown>;
        for (const k of Object.keys(o)) {
          if (k !== "path" && k !== "required") ctx.unmap(`${at}.${k}`, "mcp reads env files in the dotenv format only (path, required)");
        }
        file = ctx.text(o.path, `${at}.path`);
        if (o.required !== undefined && !ctx.bool(o.required, `${at}.required`)) {
          ctx.unmap(`${at}.required`, "an optional env_file is read now or never: mcp reads it once, at import (write required: true or drop it)");
        }
      } else file = ctx.text(f, at);
      readEnvFile(ctx, file, at, env);
    });
  }
  const e = service.environment;
  const at = `${path}.environment`;
  if (Array.isArray(e)) {
    e.forEach((item, i) => {
      const text = ctx.text(item, `${at}[${i}]`);
      const eq = text.indexOf("=");
      if (eq < 0) {
        checkKey(ctx, text, `${at}[${i}]`);
        ctx.unmap(`${at}[${i}]`, `${text} takes its value from the shell that runs compose; mcp has no such shell (write ${text}=<value>)`);
        return;
      }
      set(ctx, env, text.slice(0, eq), text.slice(eq + 1), `${at}[${i}]`);
    });
  } else if (e !== undefined && e !== null) {
    if (typeof e !== "object") ctx.fail(at, `must be a map or a list, not ${describe(e)}`);
    for (const [key, value] of Object.entries(e as Record<string, unknown>)) {
      const kat = `${at}.${key}`;
      if (value === null) {
        checkKey(ctx, key, kat);
        ctx.unmap(kat, `${key} has no value: it takes one from the shell that runs compose; mcp has no such shell (write a value)`);
        continue;
      }
      if (typeof value === "object") ctx.fail(kat, `must be a string, a number or a boolean, not ${describe(value)}`);
      set(ctx, env, key, ctx.text(value, kat), kat);
    }
  }
  return [...env].map(([k, v]) => `${k}=${v}`);
}

function checkKey(ctx: ImportContext, key: string, at: string): void {
  // envProblem names the key at most; the probe value is not the operator's.
  const problem = envProblem(`${key}=`);
  if (problem) ctx.fail(at, problem);
}

function set(ctx: ImportContext, env: Map<string, string>, key: string, value: string, at: string): void {
  checkKey(ctx, key, at);
  env.set(key, value); // a later definition's value wins; the key keeps its first place, as in compose's dict
}

function readEnvFile(ctx: ImportContext, file: string, at: string, env: Map<string, string>): void {
  const text = ctx.opts.readEnvFile(file, ctx.where(at));
  const parsed = parseDotenv(text);
  if (!Array.isArray(parsed)) ctx.fail(at, `${file}:${parsed.line}: ${parsed.problem}`);
  for (const entry of parsed) {
    const problem = envProblem(`${entry.key}=`);
    if (problem) ctx.fail(at, `${file}:${entry.line}: ${problem}`);
    if (entry.value === null) {
      ctx.unmap(at, `${entry.key} (${file}:${entry.line}) has no value: it takes one from the shell that runs compose; mcp has no such shell`);
      continue;
    }
    if (entry.value.includes("${")) {
      ctx.unmap(at, `the value of ${entry.key} (${file}:${entry.line}) refers to other variables (\${…}), which compose expands from its shell; write it out`);
      continue;
    }
    env.set(entry.key, entry.value);
  }
}
