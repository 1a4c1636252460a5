/** Open the storage the configuration names: SQLite (the default: one file under dataDir) or PostgreSQL. */
import { resolve } from "node:path";
import type { StorageConfig } from "../config/schema.js";
import { openPostgresStorage } from "./postgres/index.js";
import { openSqliteStorage } from "./sqlite/index.js";
import type { Storage } from "./types.js";

/** Rejects with a message naming the database when it cannot be opened or migrated. */
export async function openStorage(config: StorageConfig, dataDir: string): Promise<Storage> {
  switch (config.driver) {
    case "sqlite":
      return openSqliteStorage(resolve(dataDir, config.file), { backgroundCheckpoints: true });
    case "postgres":
      return openPostgresStorage({ url: config.url, schema: config.schema, poolSize: config.poolSize });
  }
}
