/**
 * The one registry of conformance checks. A check is a named scenario that proves spec sections: either a
 * scripted conversation (every `conformance/scripts/*.scs`, found automatically) or a function (the real-client
 * checks of client-checks.ts). The runner, the ava test and the XEP-0479 report all read this list.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestServer } from "../../test/helpers/server.js";
import { CLIENT_CHECKS } from "./client-checks.js";
import { MORE_CHECKS } from "./more-checks.js";
import { WEB_CHECKS } from "./web-checks.js";
import { runScript, type Outcome, type RunOptions, type Target } from "./execute.js";
import { parseScript } from "./script.js";
import { parseSpecRefs, type SpecRef } from "./spec-ref.js";

export type { Outcome } from "./execute.js";

export interface CheckEnv {
  srv: TestServer;
  target: Target;
  options?: RunOptions;
}

export interface Check {
  /** Unique, stable: the script's file name without `.scs`, or the function check's name. */
  name: string;
  title: string;
  kind: "script" | "client";
  proves: SpecRef[];
  /** Repository path of what the check runs. */
  source: string;
  run(env: CheckEnv): Promise<Outcome>;
}

/** What a function check declares (client-checks.ts); `proves` as written in script headers. */
export interface FunctionCheckDef {
  name: string;
  title: string;
  proves: string;
  source: string;
  run(env: CheckEnv): Promise<Outcome>;
}

/** conformance/scripts/ in the source tree (this file runs from dist/conformance/runner/). */
export const SCRIPTS_DIR = fileURLToPath(new URL("../../../conformance/scripts/", import.meta.url));

/** Every script, parsed; a malformed script throws with its file and line. */
export function scriptChecks(dir = SCRIPTS_DIR): Check[] {
  return readdirSync(dir).filter((f) => f.endsWith(".scs")).sort().map((f) => {
    const script = parseScript(readFileSync(join(dir, f), "utf8"), `conformance/scripts/${f}`);
    return {
      name: script.name,
      title: script.title,
      kind: "script" as const,
      proves: script.proves,
      source: script.file,
      run: (env: CheckEnv) => runScript(script, env.target, env.options),
    };
  });
}

export function functionChecks(defs: readonly FunctionCheckDef[] = [...CLIENT_CHECKS, ...WEB_CHECKS, ...MORE_CHECKS]): Check[] {
  return defs.map((d) => ({ name: d.name, title: d.title, kind: "client" as const, proves: parseSpecRefs(d.proves), source: d.source, run: d.run }));
}

/** Scripts first, then real-client checks; names must be unique. */
export function allChecks(): Check[] {
  const checks = [...scriptChecks(), ...functionChecks()];
  const seen = new Set<string>();
  for (const c of checks) {
    if (seen.has(c.name)) throw new Error(`two conformance checks are named "${c.name}"`);
    seen.add(c.name);
  }
  return checks;
}
