#!/usr/bin/env bun
// argv → mode. The only process.exit in mcp.
import { main } from "./modes/cli.ts";

process.exit(await main(process.argv.slice(2)));
