import type { CliIO } from "../../lib/io.ts";
import { lifecycleCommand } from "./_lifecycle.ts";

export default (io: CliIO) => lifecycleCommand(io, "stop");
