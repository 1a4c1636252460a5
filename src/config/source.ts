/**
 * Where a key path is in the YAML text: walks the `yaml` package's document nodes so an error about
 * `listeners[1].port` can name its line and column.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node, type Pair } from "yaml";
import type { ConfigPath } from "./errors.js";

export interface Position { line: number; column: number }

export interface ConfigSource {
  readonly file: string;
  /**
   * Position of the value at `path` (or of its key with `at: "key"`). When the path does not exist in the file
   * (a missing key), the position of the nearest parent that does.
   */
  locate(path: ConfigPath, at?: "key" | "value"): Position | undefined;
}

type Ranged = { range?: [number, number, number] | null };

function start(node: unknown): number | undefined {
  const r = (node as Ranged | null | undefined)?.range;
  return r ? r[0] : undefined;
}

function pairOf(map: unknown, key: string | number): Pair<unknown, unknown> | undefined {
  if (!isMap(map)) return undefined;
  for (const item of map.items) {
    if (!isPair(item)) continue;
    const k = isScalar(item.key) ? item.key.value : item.key;
    if (String(k) === String(key)) return item;
  }
  return undefined;
}

/** A source over a parsed document; `lineCounter` must be the one given to `parseDocument`. */
export function documentSource(file: string, doc: Document, lineCounter: LineCounter): ConfigSource {
  const pos = (offset: number | undefined): Position | undefined => {
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  return {
    file,
    locate(path, at = "value") {
      let node: unknown = doc.contents;
      // The best position found so far: the key (or item) that leads to the deepest existing node.
      let best: number | undefined = start(node);
      for (let i = 0; i < path.length; i++) {
        const seg = path[i];
        const last = i === path.length - 1;
        if (isSeq(node) && typeof seg === "number") {
          const item = node.items[seg] as Node | undefined;
          if (item === undefined) break;
          node = item;
          best = start(item) ?? best;
          continue;
        }
        const pair = pairOf(node, seg);
        if (!pair) break;
        const keyStart = start(pair.key);
        if (last && at === "key") return pos(keyStart ?? best);
        node = pair.value;
        const valueStart = start(pair.value);
        // An empty value (`key:` alone) has no useful position of its own: point at the key.
        const empty = pair.value === null || (isScalar(pair.value) && pair.value.value === null);
        best = (empty ? keyStart : valueStart) ?? keyStart ?? best;
      }
      return pos(best);
    },
  };
}

/** A source for a file whose text is not available: no positions. */
export function fileOnlySource(file: string): ConfigSource {
  return { file, locate: () => undefined };
}
