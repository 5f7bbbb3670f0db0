import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../bin/cli';
import { listMessages } from '../../cli/messages';
import { loadLocalConfig } from '../../local/config';
import { startLocalPipeline, type LocalPipeline } from '../../local/runner';
import { localPipelineEnv } from '../support/free-port';
import { drainQueue } from '../support/sqs-events';

/**
 * Reconciliation in local mode, through the operator CLI as an operator types it: `simulate
 * --undelivered` makes the emulator receive SMS it never delivers, `reconcile` recovers them once;
 * and a pipeline stopped with SMS it never stored recovers them on its next start.
 */
jest.setTimeout(90_000);

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

describe('reconciliation in local mode', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let pipeline: LocalPipeline | undefined;
  const log: string[] = [];

  const start = async () => (pipeline = await startLocalPipeline(loadLocalConfig(env), { emulatorRetry: { baseDelayMs: 100, maxTries: 10 }, log: (line) => log.push(line) }));
  const cli = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, {
      stdout: { write: (text: string) => out.push(text) },
      stderr: { write: (text: string) => err.push(text) },
      env: { ...env, LOCAL_DATA_DIR: dataDir },
      cwd: process.cwd(),
    });
    return { code, stdout: out.join(''), stderr: err.join('') };
  };
  const stored = () => listMessages({ documents: pipeline!.clients.documents, tableName: pipeline!.endpoints.tableName }, { by: 'recent' }, 100);
  const forwarded = async () => (await drainQueue(pipeline!.clients.sqs, pipeline!.endpoints.inboxQueueUrl)).map((message) => JSON.parse(message.Body ?? '{}').id as string);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'callr-reconcile-'));
    env = await localPipelineEnv(dataDir);
    await start();
  });
  afterAll(async () => {
    await pipeline?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('sweeps once at start, finding nothing to recover in a new data directory', () => {
    expect(pipeline!.startupSweep).toMatchObject({ asked: 0, alreadyStored: 0, recovered: 0, complete: true });
    expect(log).toContainEqual(expect.stringMatching(/reconciled the last 48 h with CALLR: 0 inbound SMS, 0 already stored, 0 recovered/));
  });

  it('recovers with `reconcile` what `simulate --undelivered` kept from the webhook, exactly once', async () => {
    const simulated = await cli('simulate', '--undelivered', '3', '--json');
    expect(simulated.code).toBe(0);
    const { since, hashes } = JSON.parse(simulated.stdout) as { since: string; hashes: string[] };
    await pipeline!.idle();
    expect((await stored()).map((message) => message.id)).toEqual([]);

    const reconciled = await cli('reconcile', '--since', since);
    await pipeline!.idle();

    expect(reconciled.code).toBe(0);
    expect(reconciled.stdout).toMatch(/asked: +3 .*\n.*already stored: 0\n.*recovered: +3 /);
    expect(reconciled.stderr).toMatch(/reconciling .* on the local pipeline/);
    expect(reconciled.stderr).toMatch(/3 listed, 0 already stored/);
    expect((await forwarded()).sort()).toEqual([...hashes].sort());
    expect((await stored()).map((message) => [message.id, message.arrival]).sort()).toEqual(hashes.map((hash) => [hash, 'reconciled']).sort());

    // Again: everything is stored, nothing is sent twice.
    const again = await cli('reconcile', '--since', since, '--json');
    await pipeline!.idle();
    expect(JSON.parse(again.stdout)).toMatchObject({ asked: 3, alreadyStored: 3, recovered: 0 });
    expect(await forwarded()).toEqual([]);
  });

  it('recovers, on the next start, SMS the pipeline never stored before it stopped', async () => {
    const before = (await stored()).length;
    // CALLR received them while the pipeline could not take them (here: never delivered at all).
    const simulated = await cli('simulate', '--undelivered', '2', '--json');
    const { hashes } = JSON.parse(simulated.stdout) as { hashes: string[] };
    await pipeline!.stop();

    await start();
    await pipeline!.idle();

    expect(pipeline!.startupSweep).toMatchObject({ recovered: 2, recoveredIds: hashes });
    expect((await stored()).length).toBe(before + 2);
    expect((await forwarded()).sort()).toEqual([...hashes].sort());
  });

  it.each<[string, string[], RegExp]>([
    ['no --since', ['reconcile'], /needs --since/],
    ['a date that is none', ['reconcile', '--since', 'last tuesday'], /--since must be an ISO 8601 date/],
    ['--undelivered with --direct', ['simulate', '--undelivered', '2', '--direct'], /cannot be used with option '--direct'/],
  ])('refuses %s with a usage error', async (_name, args, message) => {
    const run = await cli(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
