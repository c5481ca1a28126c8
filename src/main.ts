#!/usr/bin/env bun
// argv → mode. The only process.exit in mcp. (No top-level await: the
// binary is built as CommonJS bytecode for a fast start.)
import { main } from "./modes/cli.ts";

void main(process.argv.slice(2)).then((code) => process.exit(code));
