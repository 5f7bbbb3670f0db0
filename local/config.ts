import { resolve } from 'node:path';
import type { CallrCredentials } from '../functions/callr/json-rpc-client';
import { CALLR_HMAC_ALGORITHMS, type CallrHmacAlgorithm } from '../functions/callr/signature';
import { readOptOutWords, type OptOutWords } from '../functions/optouts/words';

/**
 * Local mode's configuration, from the environment, checked once with every problem listed.
 * Every variable has a default, so `npm start` needs none.
 */

export const LOCAL_DEFAULTS = {
  region: 'us-east-1',
  dataDir: '.local',
  ports: { http: 3000, dynamodb: 8000, sqs: 9324, callrEmulator: 4010 },
  /** What the CALLR emulator accepts and local mode uses: a throwaway, not a secret. */
  emulatorApiKey: 'local-api-key',
} as const;

/** The variable that sets each port: named in "port in use" errors. */
export const PORT_VARIABLES = {
  http: 'PORT',
  dynamodb: 'DYNAMODB_PORT',
  sqs: 'SQS_PORT',
  callrEmulator: 'CALLR_EMULATOR_PORT',
} as const;

export type PortName = keyof typeof PORT_VARIABLES;

export type LocalCallr =
  /** The CALLR emulator, started by local mode. */
  | { readonly kind: 'emulator'; readonly credentials: CallrCredentials }
  /** The real CALLR API (or any JSON-RPC endpoint), reaching this machine through a tunnel. */
  | { readonly kind: 'remote'; readonly apiUrl: string; readonly credentials: CallrCredentials; readonly publicUrl: string };

export interface LocalConfig {
  readonly region: string;
  readonly dataDir: string;
  readonly ports: Readonly<Record<PortName, number>>;
  /**
   * From CALLR_HMAC_SECRET (comma-separated: the first is subscribed at CALLR, all are accepted,
   * as in the ingest Lambda's contract); otherwise one is generated once and kept in dataDir.
   */
  readonly hmacSecrets: readonly string[] | undefined;
  readonly hmacAlgorithm: CallrHmacAlgorithm;
  readonly callr: LocalCallr;
  /** CALLR event types subscribed. */
  readonly eventTypes: readonly string[];
  /** Stop and start words of the opt-out registry (OPT_OUT_STOP_WORDS, OPT_OUT_START_WORDS, as the persist Lambda reads them). */
  readonly optOutWords?: OptOutWords;
}

export class LocalConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Local mode is misconfigured:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'LocalConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadLocalConfig(env: Env, cwd = process.cwd()): LocalConfig {
  const problems: string[] = [];
  const read = (name: string) => env[name]?.trim() || undefined;

  const port = (name: PortName): number => {
    const variable = PORT_VARIABLES[name];
    const text = read(variable);
    if (text === undefined) return LOCAL_DEFAULTS.ports[name];
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1 || value > 65535) {
      problems.push(`${variable}=${text} is not a TCP port (1-65535); default ${LOCAL_DEFAULTS.ports[name]}`);
    }
    return value;
  };
  const ports = { http: port('http'), dynamodb: port('dynamodb'), sqs: port('sqs'), callrEmulator: port('callrEmulator') };
  const taken = new Map<number, string>();
  for (const [name, value] of Object.entries(ports) as Array<[PortName, number]>) {
    const other = taken.get(value);
    if (other) problems.push(`${PORT_VARIABLES[name]} and ${other} are both ${value}; give each service its own port`);
    taken.set(value, PORT_VARIABLES[name]);
  }

  const hmacAlgorithm = (read('HMAC_ALGORITHM') ?? 'SHA256').toUpperCase();
  if (!(CALLR_HMAC_ALGORITHMS as readonly string[]).includes(hmacAlgorithm)) {
    problems.push(`HMAC_ALGORITHM=${hmacAlgorithm} is not one of ${CALLR_HMAC_ALGORITHMS.join(', ')}`);
  }

  const hmacSecrets = (read('CALLR_HMAC_SECRET') ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter(Boolean);

  const callr = readCallr(read, problems);
  const eventTypes = (read('CALLR_EVENT_TYPES') ?? 'sms.mo,sms.mt.status_update')
    .split(',')
    .map((type) => type.trim())
    .filter(Boolean);
  if (eventTypes.length === 0) problems.push('CALLR_EVENT_TYPES is empty; default sms.mo,sms.mt.status_update');
  const optOutWords = readOptOutWords(env, problems);

  if (problems.length > 0) throw new LocalConfigError(problems);
  return {
    region: read('AWS_REGION') ?? LOCAL_DEFAULTS.region,
    dataDir: resolve(cwd, read('LOCAL_DATA_DIR') ?? LOCAL_DEFAULTS.dataDir),
    ports,
    hmacSecrets: hmacSecrets.length > 0 ? hmacSecrets : undefined,
    hmacAlgorithm: hmacAlgorithm as CallrHmacAlgorithm,
    callr,
    eventTypes,
    optOutWords,
  };
}

function readCallr(read: (name: string) => string | undefined, problems: string[]): LocalCallr {
  const apiUrl = read('CALLR_API_URL');
  const apiKey = read('CALLR_API_KEY');
  const login = read('CALLR_LOGIN');
  const password = read('CALLR_PASSWORD');
  const publicUrl = read('PUBLIC_URL');
  const anyRemote = apiUrl ?? apiKey ?? login ?? password ?? publicUrl;
  if (!anyRemote) return { kind: 'emulator', credentials: { apiKey: LOCAL_DEFAULTS.emulatorApiKey } };

  const missing: string[] = [];
  if (!apiUrl) missing.push('CALLR_API_URL');
  if (!publicUrl) missing.push('PUBLIC_URL (the https URL of your tunnel to this machine)');
  if (!apiKey && !(login && password)) missing.push('CALLR_API_KEY, or CALLR_LOGIN and CALLR_PASSWORD');
  if (apiKey && (login || password)) problems.push('set CALLR_API_KEY or CALLR_LOGIN/CALLR_PASSWORD, not both');
  if (missing.length > 0) {
    problems.push(`to use a real CALLR account, also set ${missing.join('; ')} — or unset the CALLR_* and PUBLIC_URL variables to use the CALLR emulator`);
  }
  for (const [name, value] of [['CALLR_API_URL', apiUrl], ['PUBLIC_URL', publicUrl]] as const) {
    if (value && !isHttpUrl(value)) problems.push(`${name}=${value} is not an http(s) URL`);
  }
  const credentials: CallrCredentials = apiKey ? { apiKey } : { login: login ?? '', password: password ?? '' };
  return { kind: 'remote', apiUrl: apiUrl ?? '', credentials, publicUrl: publicUrl ?? '' };
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
