// The secrets scan of a full test run (issue 7 acceptance 4): every secret
// the tests recorded (tokens, passwords, pushed file content) is looked for
// in every agent log and CLI error output they kept. Prints one line; exits 1
// when a secret was found (naming the file, never the secret).
//   bun scripts/scan-secrets.ts <dir>
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: bun scripts/scan-secrets.ts <dir>");
  process.exit(2);
}
let secrets: string[] = [];
try {
  secrets = readFileSync(join(dir, "secrets"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as string);
} catch {
  // none recorded
}
secrets = [...new Set(secrets)].filter((s) => s.length >= 8);
const files = readdirSync(dir).filter((f) => f.endsWith(".log"));
const leaks: string[] = [];
for (const f of files) {
  const text = readFileSync(join(dir, f), "utf8");
  secrets.forEach((s, i) => {
    if (text.includes(s)) leaks.push(`${f}: secret #${i + 1} (${s.length} characters)`);
  });
}
if (secrets.length === 0 || files.length === 0) {
  console.log(`secret scan: nothing to scan (${secrets.length} secrets, ${files.length} outputs) — did the helpers record them?`);
  process.exit(1);
}
console.log(`secret scan: ${secrets.length} secrets in ${files.length} logs and error outputs: ${leaks.length ? `${leaks.length} found` : "none found"}`);
for (const l of leaks) console.log(`  ${l}`);
process.exit(leaks.length ? 1 : 0);
