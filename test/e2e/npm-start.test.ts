import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENDPOINTS_FILE } from '../../local/endpoints';
import { localPipelineEnv } from '../support/free-port';
import { waitFor } from '../support/wait';

/**
 * `npm start` as a developer meets it: the real entry (bin/local.ts) in its own process, its
 * banner, its shutdown on SIGTERM, and its one-line answer when a port is taken.
 */
jest.setTimeout(60_000);

const ROOT = join(__dirname, '..', '..');

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function startLocalMode(env: Record<string, string>): { child: ChildProcessWithoutNullStreams; finished: Promise<Finished> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/local.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const finished = new Promise<Finished>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, finished };
}

describe('npm start', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'callr-npm-start-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('comes up, prints the banner, and on SIGTERM drains, unsubscribes and exits 0', async () => {
    const env = await localPipelineEnv(dataDir);
    const { child, finished } = startLocalMode(env);
    try {
      await waitFor(`${ENDPOINTS_FILE} to be written`, () => existsSync(join(dataDir, ENDPOINTS_FILE)), 45_000);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    const endpoints = JSON.parse(readFileSync(join(dataDir, ENDPOINTS_FILE), 'utf8'));

    child.kill('SIGTERM');
    const { code, stdout } = await finished;

    expect(code).toBe(0);
    expect(stdout).toContain(`POST http://127.0.0.1:${env.PORT}/webhooks/callr`);
    expect(stdout).toContain('npx callr-mo simulate');
    for (const hash of endpoints.webhookHashes) expect(stdout).toContain(`unsubscribed webhook ${hash} (unsubscribed)`);
    expect(stdout).toMatch(/stopped\.\n$/);
  });

  it('refuses a second pipeline on the same data directory with one line, exit 2', async () => {
    const first = startLocalMode(await localPipelineEnv(dataDir));
    try {
      await waitFor(`${ENDPOINTS_FILE} to be written`, () => existsSync(join(dataDir, ENDPOINTS_FILE)), 45_000);
      const { code, stderr } = await startLocalMode(await localPipelineEnv(dataDir)).finished;
      expect(code).toBe(2);
      expect(stderr.trim()).toBe(
        `npm start: another local pipeline (pid ${first.child.pid}) is running on ${dataDir}: stop it, or set LOCAL_DATA_DIR to another directory`,
      );
    } finally {
      first.child.kill('SIGTERM');
      await first.finished;
    }
  });

  it('answers a port in use with one line naming the port and its variable, exit 2', async () => {
    const env = await localPipelineEnv(dataDir);
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(env.PORT), '127.0.0.1', resolve));
    try {
      const { code, stdout, stderr } = await startLocalMode(env).finished;
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.trim()).toBe(
        `npm start: port ${env.PORT} is already in use: stop what is using it, or set PORT to another port`,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
