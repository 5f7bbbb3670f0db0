import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../bin/cli';
import { hashNumber } from '../../functions/privacy/number-hash';
import { numberHashKeyBytes } from '../../functions/privacy/number-hash-key';
import { loadLocalConfig } from '../../local/config';
import { startLocalPipeline, type LocalPipeline } from '../../local/runner';
import { localPipelineEnv } from '../support/free-port';

/**
 * `callr-mo erase` and `callr-mo number-hash` against the local pipeline of `npm start`: messages
 * the CALLR emulator delivered are erased, `callr-mo messages` no longer returns them, and nothing
 * printed holds the number in clear.
 */
jest.setTimeout(60_000);

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

const PERSON = '+33644556677';

describe('callr-mo erase (local pipeline)', () => {
  let dataDir: string;
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'callr-erase-'));
    pipeline = await startLocalPipeline(loadLocalConfig(await localPipelineEnv(dataDir)), { emulatorRetry: { baseDelayMs: 100, maxTries: 10 } });
  });
  afterAll(async () => {
    await pipeline?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function callrMo(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
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

  it('erases what the pipeline stored for a number, and prints it masked only', async () => {
    pipeline.emulator!.injectInboundSms({ from: PERSON, to: '38100', text: 'first' });
    pipeline.emulator!.injectInboundSms({ from: PERSON, to: '38100', text: 'second' });
    pipeline.emulator!.injectInboundSms({ from: '+33600000001', to: '38100', text: 'someone else' });
    await pipeline.emulator!.whenIdle();
    await pipeline.idle();
    expect(JSON.parse((await callrMo('messages', '--from', PERSON, '--json')).stdout)).toHaveLength(2);

    const dryRun = await callrMo('erase', '--number', PERSON, '--dry-run');
    expect(dryRun).toMatchObject({ code: 0, stdout: expect.stringMatching(/^would erase 2 items holding •••••••6677 .*2 inbound messages; nothing changed/) });
    expect(JSON.parse((await callrMo('messages', '--from', PERSON, '--json')).stdout)).toHaveLength(2);

    const erased = await callrMo('erase', '--number', PERSON, '--json');
    expect(erased.code).toBe(0);
    const key = numberHashKeyBytes(pipeline.numberHashKey, 'local key');
    expect(JSON.parse(erased.stdout)).toMatchObject({ itemsErased: 2, subjectHash: hashNumber(key, PERSON), erasedByKind: { inboundMessages: 2 } });
    expect(erased.stdout + erased.stderr + dryRun.stdout).not.toContain('44556677');

    expect(JSON.parse((await callrMo('messages', '--from', PERSON, '--json')).stdout)).toEqual([]);
    expect(JSON.parse((await callrMo('messages', '--json')).stdout)).toEqual([expect.objectContaining({ from: '+33600000001' })]);
  });

  it('prints the hash an operator searches the logs by', async () => {
    const key = numberHashKeyBytes(pipeline.numberHashKey, 'local key');
    expect(await callrMo('number-hash', '--number', '+33 6 44 55 66 77')).toEqual({ code: 0, stdout: `${hashNumber(key, PERSON)}\n`, stderr: '' });
  });

  it('refuses a number without digits as a usage error', async () => {
    expect(await callrMo('erase', '--number', 'abc')).toMatchObject({ code: 2, stderr: expect.stringMatching(/holds no digits/) });
  });
});
