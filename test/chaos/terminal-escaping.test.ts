import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../bin/cli';
import { CALLR_SIGNATURE_HEADER, signCallrBody } from '../../functions/callr/signature';
import * as z from 'zod/mini';
import { InboundMessage } from '../../functions/messages/inbound-message';
import { loadLocalConfig } from '../../local/config';
import { startLocalPipeline, type LocalPipeline } from '../../local/runner';
import { localPipelineEnv } from '../support/free-port';

/**
 * §4 through the real commands on a real local pipeline: an SMS and a dead letter whose text holds
 * terminal control sequences come out of `callr-mo messages` and `callr-mo dlq list` escaped, and
 * exactly as sent with --json.
 */

const ESC = '\u001b';
const BEL = '\u0007';
const HOSTILE_TEXT = `red ${ESC}[31malert${ESC}[0m title ${ESC}]0;pwned${BEL} nul \u0000 csi \u009b2J bidi \u202eevil\u202c`;
const ESCAPED_TEXT = 'red \\x1b[31malert\\x1b[0m title \\x1b]0;pwned\\x07 nul \\x00 csi \\x9b2J bidi \\u202eevil\\u202c';
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('callr-mo prints strangers\' text escaped, and --json exact', () => {
  let dataDir: string;
  let pipeline: LocalPipeline;
  const quiet = { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' };
  const saved = Object.fromEntries(Object.keys(quiet).map((name) => [name, process.env[name]]));

  async function callrMo(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await runCli([...args, '--data-dir', dataDir], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
      cwd: dataDir,
    });
    return { code, stdout, stderr };
  }

  beforeAll(async () => {
    Object.assign(process.env, quiet);
    dataDir = mkdtempSync(join(tmpdir(), 'callr-mo-escaping-'));
    pipeline = await startLocalPipeline(loadLocalConfig(await localPipelineEnv(dataDir)), { emulatorRetry: { baseDelayMs: 50, maxTries: 3 } });
  }, 30_000);

  afterAll(async () => {
    await pipeline?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('messages: an SMS holding SGR, OSC, NUL, C1 CSI and a bidi override', async () => {
    const { hash } = pipeline.emulator!.injectInboundSms({ from: '+33639980042', to: '+33199001234', text: HOSTILE_TEXT });
    await pipeline.emulator!.whenIdle();
    await pipeline.idle();

    const table = await callrMo(['messages', '--hash', hash]);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).not.toMatch(RAW_CONTROL);
    expect(table.stdout).toContain(ESCAPED_TEXT.slice(0, 58));

    const json = await callrMo(['messages', '--hash', hash, '--json']);
    expect(json.code).toBe(0);
    expect(z.parse(z.array(InboundMessage), JSON.parse(json.stdout)).map((message) => message.text)).toEqual([HOSTILE_TEXT]);
  });

  it('dlq list: a quarantined event holding the same sequences', async () => {
    // Raw control characters in a JSON string make it invalid JSON: quarantined, the body kept as sent.
    const body = `{"event_id":"ev-1","type":"sms.mo","text":"${HOSTILE_TEXT}"}`;
    const response = await fetch(pipeline.endpoints.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [CALLR_SIGNATURE_HEADER]: signCallrBody(body, pipeline.endpoints.hmacSecret, 'SHA256') },
      body,
    });
    expect(response.status).toBe(202);

    const table = await callrMo(['dlq', 'list']);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).not.toMatch(RAW_CONTROL);
    expect(table.stdout).toContain('invalid_json');
    expect(table.stdout).toContain('\\x1b[31malert');

    const json = await callrMo(['dlq', 'list', '--json']);
    const listing = JSON.parse(json.stdout) as { deadLetters: Array<{ preview: string }> };
    expect(listing.deadLetters.map((letter) => letter.preview)).toContainEqual(expect.stringContaining(`${ESC}[31malert`));
  });
});
