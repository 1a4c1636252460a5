/** Structured logging: one JSON line per event on stderr, with levels. Never log a stanza body at info. */
export type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /**
   * Whether a line at `level` would be written, so a hot path can skip building its fields. Loggers without it
   * (test doubles) are taken to log everything.
   */
  enabled?(level: Level): boolean;
}

export interface LogSink { write(line: string): void }

let threshold: number = ORDER[(process.env.PALAVER_LOG_LEVEL as Level) ?? "info"] ?? ORDER.info;
let sink: LogSink = process.stderr;

/** Set the minimum level and where lines go (the server does this from its config; tests may capture). */
export function configureLogging(level: Level, to?: LogSink): void {
  threshold = ORDER[level];
  if (to) sink = to;
}

function errorFields(v: unknown): unknown {
  return v instanceof Error ? { message: v.message, stack: v.stack } : v;
}

export function createLogger(base: Record<string, unknown> = {}): Logger {
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < threshold) return;
    const line: Record<string, unknown> = { t: new Date().toISOString(), level, msg, ...base };
    if (fields) for (const k in fields) line[k] = errorFields(fields[k]);
    sink.write(JSON.stringify(line) + "\n");
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger({ ...base, ...fields }),
    enabled: (level) => ORDER[level] >= threshold,
  };
}

export const rootLogger = createLogger();
