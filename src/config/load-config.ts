import { readFileSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "../errors.js";
import { ConfigFileSchema, type ConfigFile } from "./config-schema.js";
import { ADAPTER_ENV_NAMES, DEFAULT_SHELL_PATH, EnvSchema, SECRET_ENV_NAMES, SHELL_BASE_ENV_NAMES, type Env } from "./env.js";
import { INSTANCE_ID } from "./instance.js";
import { PROJECT_ROOT } from "./project-root.js";
import { parseYamlSource, validateYaml } from "./yaml-source.js";

export { PROJECT_ROOT } from "./project-root.js";
export const DEFAULT_CONFIG_PATH = path.join(PROJECT_ROOT, "config/opsroom.example.yml");
export const DEFAULT_RUNBOOKS_DIR = path.join(PROJECT_ROOT, "runbooks");

/** Everything opsroom was started with: validated, typed and frozen. */
export interface Config extends ConfigFile {
  readonly env: Env;
  readonly configPath: string;
  readonly runbooksDir: string;
  /** Values that must never be logged, stored or shown (tokens, keys, connection strings). */
  readonly secretValues: readonly string[];
  /** Where adapters' declared credentials are looked up by name: validated tokens, and the environment. */
  readonly credentialSource: Readonly<Record<string, string | undefined>>;
  /** The environment every shell step's command starts from (SHELL_BASE_ENV_NAMES). */
  readonly shellEnv: Readonly<Record<string, string>>;
}

/** Reads the environment and the config file; throws ConfigError listing every problem. */
export function loadConfig(rawEnv: Readonly<Record<string, string | undefined>>): Config {
  const envResult = EnvSchema.safeParse(rawEnv);
  if (!envResult.success) {
    throw new ConfigError(
      envResult.error.issues.map((issue) => ({
        file: "environment",
        line: undefined,
        field: issue.path.join("."),
        message: issue.message,
      })),
    );
  }
  const env = envResult.data;
  const configPath = path.resolve(env.OPSROOM_CONFIG ?? DEFAULT_CONFIG_PATH);
  const file = loadConfigFile(configPath, rawEnv);
  const secretNames = [...SECRET_ENV_NAMES, ...file.secretEnv, ...databaseUrlEnvNames(file)];
  const config: Config = {
    ...file,
    env,
    configPath,
    runbooksDir: path.resolve(env.OPSROOM_RUNBOOKS_DIR ?? DEFAULT_RUNBOOKS_DIR),
    secretValues: secretNames.map((name) => rawEnv[name]).filter((v): v is string => !!v),
    // Adapters' own tokens as validated (trimmed; blank means unset); anything else a step may name
    // (a database URL variable, a shell step's env) as the environment has it.
    credentialSource: { ...rawEnv, ...Object.fromEntries(ADAPTER_ENV_NAMES.map((name) => [name, env[name]])) },
    shellEnv: shellBaseEnv(rawEnv),
  };
  return deepFreeze(config);
}

/**
 * Parses one config file. `${NAME}` and `${NAME:-default}` in strings are read from `rawEnv`, except
 * `${OPSROOM_INSTANCE}`, which is this process's id (what its /healthz reports).
 */
export function loadConfigFile(configPath: string, rawEnv: Readonly<Record<string, string | undefined>>): ConfigFile {
  let text: string;
  try {
    text = readFileSync(configPath, "utf8");
  } catch (cause) {
    throw new ConfigError(
      [{ file: configPath, line: undefined, field: "", message: `cannot read config file: ${(cause as Error).message}` }],
      { cause },
    );
  }
  const source = parseYamlSource(interpolateEnv(text, { ...rawEnv, OPSROOM_INSTANCE: INSTANCE_ID }), configPath);
  return validateYaml(source, ConfigFileSchema);
}

function interpolateEnv(text: string, rawEnv: Readonly<Record<string, string | undefined>>): string {
  return text.replace(/\$\{([A-Z][A-Z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => rawEnv[name] || fallback || "");
}

function shellBaseEnv(rawEnv: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_SHELL_PATH };
  for (const name of SHELL_BASE_ENV_NAMES) if (rawEnv[name]) env[name] = rawEnv[name];
  return env;
}

function databaseUrlEnvNames(file: ConfigFile): string[] {
  const names = Object.values(file.services).flatMap((s) => [
    s.databaseUrlEnv,
    ...Object.values(s.environments).map((e) => e.databaseUrlEnv),
  ]);
  names.push(...Object.values(file.environments).map((e) => e.settings.databaseUrlEnv));
  // SQL gates may name a database of their own.
  const gates = [
    ...Object.values(file.flags).flatMap((f) => f.gates),
    ...Object.values(file.releases).flatMap((r) => r.stages.flatMap((s) => s.gates)),
  ];
  names.push(...gates.map((g) => ("databaseUrlEnv" in g ? g.databaseUrlEnv : undefined)));
  return names.filter((n): n is string => !!n);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
