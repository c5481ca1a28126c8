/** Files under a service's directory: confined paths, atomic pushes, streamed pulls (SPEC §5.7). */
export { checkRelativePath, isKeyMaterial, modeFor } from "./paths.ts";
export { receiveFile, sendFile, type ReceiveOptions } from "./files.ts";
export { writeChunks } from "./_chunks.ts";
export { errnoOf, ioError } from "./errors.ts";
export { makeDirsConfined } from "./dirs.ts";
export { decodeFrames, encodeFrame, type FrameKind } from "./frames.ts";
export { helperError, pullInNamespace, pushInNamespace, runHelper, type Helper } from "./_child.ts";
