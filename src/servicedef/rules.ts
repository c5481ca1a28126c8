import type { KeyPath, Problem } from "../config/index.ts";
import type { ServiceDef } from "../model/index.ts";
import { isFloatingImage } from "./identity.ts";
import { checkComponentKeys } from "./_rules-keys.ts";

/** A remark about a definition that does not stop it from being used. */
export interface Remark {
  path: KeyPath;
  message: string;
}

/** Options of the definition rules. */
export interface RuleOptions {
  /** The name the definition must have (its file name without `.toml`); unset = no check. */
  expectName?: string;
}

/**
 * Cross-field rules checked after normalization: component names unique, the
 * name matching the file's, the keys of SPEC §7.2/§7.3/§7.5 that depend on
 * each other (see _rules-keys.ts). Returns the problems (errors) and the warnings
 * (images without a pinned tag, which deploy but are not reproducible).
 */
export function checkServiceDef(def: ServiceDef, opts: RuleOptions = {}): { problems: Problem[]; warnings: Remark[] } {
  const problems: Problem[] = [];
  const warnings: Remark[] = [];
  if (opts.expectName !== undefined && def.name !== opts.expectName) {
    problems.push({
      path: ["name"],
      message: `${JSON.stringify(def.name)} does not match the file name ${opts.expectName}.toml; rename the file or change the name`,
    });
  }
  const seen = new Map<string, number>();
  problems.push(...checkComponentKeys(def));
  def.components.forEach((c, i) => {
    const first = seen.get(c.name);
    if (first === undefined) seen.set(c.name, i);
    else problems.push({ path: ["components", i, "name"], message: `${JSON.stringify(c.name)} is already used by components[${first}]` });
    if (isFloatingImage(c.image)) {
      const why = c.image.endsWith(":latest") ? "uses the moving tag latest" : "has no tag, so it means latest";
      warnings.push({
        path: ["components", i, "image"],
        message: `${JSON.stringify(c.image)} ${why}; deploys are not reproducible (pin a version tag or a digest)`,
      });
    }
  });
  return { problems, warnings };
}
