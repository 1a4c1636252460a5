/** The config layer's public surface. */
export { configSchema, type Config, type HostConfig, type ListenerConfig, type Limits } from "./schema.js";
export { formatConfigErrors, formatPath, type ConfigError, type ConfigPath } from "./errors.js";
export { loadConfig, parseConfigText, validateConfig, configPaths, type LoadResult, type LoadOptions } from "./load.js";
export { validateModuleConfig, checkModuleIds, type ModuleConfigResult } from "./module-config.js";
export { ensureConfigFile, EXAMPLE_CONFIG_PATH, type EnsureResult } from "./ensure.js";
export { documentSource, fileOnlySource, type ConfigSource, type Position } from "./source.js";
