// Lints proto/ and regenerates src/gen/ (committed; never edited by hand).
// Usage: bun scripts/gen.ts [--check]  (--check fails when src/gen is stale)
import { $ } from "bun";

const check = process.argv.includes("--check");
const bin = `${import.meta.dir}/../node_modules/.bin`;
process.chdir(`${import.meta.dir}/..`);
// buf's npm shim needs node or bun on PATH.
process.env.PATH = `${bin}:${process.env.PATH}`;

await $`buf lint`;
if (check) {
  const tmp = (await $`mktemp -d`.text()).trim();
  await $`buf generate --output ${tmp}`;
  const diff = await $`diff -r ${tmp}/src/gen src/gen`.nothrow();
  await $`rm -rf ${tmp}`;
  if (diff.exitCode !== 0) {
    console.error("src/gen is stale: run `bun run gen`");
    process.exit(1);
  }
} else {
  await $`rm -rf src/gen`;
  await $`buf generate`;
}
