/**
 * What Palaver claims to implement: the core's specifications (the CORE rows of the support table, so there is
 * one list) and the XEPs each module declares in `xeps`. The XEP-0479 report counts a claim only when a
 * conformance check confirms it; the DOAP file lists the claims as they are declared.
 */
import type { ModuleDef, XepDeclaration } from "../../src/modules.js";
import { supportTable } from "../support-table.js";
import { specKey, xepKey } from "./spec-ref.js";

export interface Claim {
  /** Normalised spec key: "RFC 6120", "XEP-0368". */
  spec: string;
  /** "core", or the id of the module that declares it. */
  by: string;
  status: "complete" | "partial";
  /** The declared XEP version (modules only; the core rows name none). */
  version?: string;
  note?: string;
}

/**
 * The core rows of the support table (`| RFC 5802 / 7677 | what | core | complete |`), one claim per spec:
 * "RFC 5802 / 7677" is RFC 5802 and RFC 7677.
 */
export function coreClaims(table = supportTable([])): Claim[] {
  const claims: Claim[] = [];
  for (const line of table.split("\n")) {
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    if (cells.length !== 4 || cells[2] !== "core") continue;
    const [specs, what, , status] = cells as [string, string, string, string];
    if (status !== "complete" && status !== "partial") throw new Error(`support table core row "${line}": status must be complete or partial`);
    const kind = /^(RFC|XEP)/i.exec(specs)?.[1]?.toUpperCase();
    for (const part of specs.split("/").map((s) => s.trim())) {
      const key = specKey(/^\d+$/.test(part) && kind ? `${kind} ${part}` : part);
      if (!key) throw new Error(`support table core row "${line}": cannot read the spec "${part}"`);
      claims.push({ spec: key, by: "core", status, note: what });
    }
  }
  return claims;
}

export function moduleClaims(modules: readonly ModuleDef<any>[]): Claim[] {
  return modules.flatMap((m) => m.xeps.map((x: XepDeclaration) => ({
    spec: xepKey(x.xep), by: m.id, status: x.status, version: x.version, ...(x.note ? { note: x.note } : {}),
  })));
}

/** Every claim of the core and of these modules. */
export function allClaims(modules: readonly ModuleDef<any>[]): Claim[] {
  return [...coreClaims(), ...moduleClaims(modules)];
}
