import type { CliIO } from "../io.ts";
import { lifecycleCommand } from "./_lifecycle.ts";

export default (io: CliIO) => lifecycleCommand(io, "restart");
