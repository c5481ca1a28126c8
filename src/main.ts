#!/usr/bin/env bun
// argv → mode. The only process.exit in mcp.
import { main } from "./modes/cli.ts";

void main(process.argv.slice(2)).then((code) => process.exit(code));
