/** Palaver's version, read once from package.json (software version replies, logs, the DOAP file). */
import { readFileSync } from "node:fs";

export const VERSION: string = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
