import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { signCallrBody } from '../../functions/callr/signature';
import { InboundMessage } from '../../functions/messages/inbound-message';
import { copyDeadLettersBack, listDeadLetters } from '../../cli/dead-letters';
import { listMessages } from '../../cli/messages';
import { createMoGenerator, seededRandom } from '../../cli/mo-generator';
import { simulateDirect, simulateThroughEmulator, systemClock, type SimulationClock } from '../../cli/simulate';
import { listSubscriptions } from '../../cli/subscriptions';
import { resolveCallr, resolveMessageTable, resolveQueues, type ResolvedMessageTable, type ResolvedQueues } from '../../cli/targets';
import { loadLocalConfig } from '../../local/config';
import { startLocalPipeline, type LocalPipeline } from '../../local/runner';

/**
 * The CLI's commands against a real local pipeline (`npm start` in-process, on free ports): the
 * command functions called directly, and the real executable for exit codes and output.
 */

const execFileAsync = promisify(execFile);
const REPO = resolve(__dirname, '../..');
const EXECUTABLE = join(REPO, 'bin/callr-mo.js');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The real executable, as `npx callr-mo` runs it. */
async function callrMo(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [EXECUTABLE, ...args], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      timeout: 20_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Wall-clock dates handed out in order (event dates of direct simulations); pacing stays real. */
function clockAt(dates: readonly Date[]): SimulationClock {
  let next = 0;
  return { ...systemClock, now: () => dates[next++] ?? new Date() };
}

describe('callr-mo against a local pipeline', () => {
  let dataDir: string;
  let pipeline: LocalPipeline;
  let table: ResolvedMessageTable;
  let queues: ResolvedQueues;
  const deps = () => ({ env: {}, cwd: REPO });

  const quiet = { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' };
  const saved = Object.fromEntries(Object.keys(quiet).map((name) => [name, process.env[name]]));

  beforeAll(async () => {
    // The handlers' logs and metrics say nothing these tests check; their loggers read this when the pipeline starts.
    Object.assign(process.env, quiet);
    dataDir = mkdtempSync(join(tmpdir(), 'callr-mo-cli-'));
    const [http, dynamodb, sqs, callr] = await freePorts(4);
    const config = loadLocalConfig({
      PORT: String(http),
      DYNAMODB_PORT: String(dynamodb),
      SQS_PORT: String(sqs),
      CALLR_EMULATOR_PORT: String(callr),
      LOCAL_DATA_DIR: dataDir,
    });
    pipeline = await startLocalPipeline(config, { emulatorRetry: { baseDelayMs: 50, maxTries: 3 } });
    table = await resolveMessageTable({ dataDir }, deps());
    queues = await resolveQueues({ dataDir }, deps());
  });

  afterAll(async () => {
    table?.close();
    queues?.close();
    await pipeline?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  describe('optouts check', () => {
    const sender = '+33 6 77 00 00 01';
    const e164 = '+33677000001';
    const check = async (args: string[]) => {
      const run = await callrMo(['optouts', 'check', '--number', sender, '--data-dir', dataDir, ...args]);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      return run.stdout;
    };

    it('answers for a number that sent nothing', async () => {
      expect(await check([])).toBe(`${e164} is not opted out from any of our numbers (no stop or start word from it)\n`);
    });

    it('answers opted out after a STOP to one of our numbers, from that number and from any, and not from another', async () => {
      pipeline.emulator!.injectInboundSms({ from: e164, to: '38123', text: 'Stop!' });
      await pipeline.idle();

      const json = JSON.parse(await check(['--json']));
      expect(json).toEqual({
        number: e164,
        to: null,
        optedOut: true,
        records: [{ ourNumber: '38123', optedOut: true, word: 'STOP', messageId: expect.any(String), at: expect.any(String), eventAt: expect.any(String) }],
      });
      expect(JSON.parse(await check(['--to', '38123', '--json']))).toMatchObject({ optedOut: true });
      expect(JSON.parse(await check(['--to', '+33199001234', '--json']))).toEqual({ number: e164, to: '+33199001234', optedOut: false, records: [] });

      const text = await check(['--to', '38123']);
      expect(text.split('\n')[0]).toBe(`${e164} is OPTED OUT from 38123`);
      expect(text).toMatch(/38123\s+opted out\s+STOP\s+/);
    });

    it('answers not opted out once a START follows', async () => {
      pipeline.emulator!.injectInboundSms({ from: e164, to: '38123', text: 'START' });
      await pipeline.idle();

      expect(JSON.parse(await check(['--json']))).toMatchObject({ optedOut: false, records: [{ ourNumber: '38123', optedOut: false, word: 'START' }] });
    });

    it.each([
      ['no number', ['optouts', 'check'], /--number <the sender's number> is required/],
      ['a secret without --table', ['optouts', 'check', '--number', '+1555', '--number-hash-key-secret', 'k'], /--number-hash-key-secret goes with --table/],
      ['--table without the key', ['optouts', 'check', '--number', '+1555', '--table', 'messages', '--region', 'eu-west-1'], /--table needs the number hash key too/],
    ])('refuses %s with exit code 2', async (_case, args, message) => {
      const run = await callrMo([...args, '--data-dir', dataDir]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
    });
  });

  describe('simulate through the CALLR emulator', () => {
    it('delivers every SMS, each stored once and found by its hash, with every kind of text', async () => {
      const count = 8;
      const summary = await simulateThroughEmulator({
        emulatorUrl: pipeline.endpoints.callrEmulatorUrl!,
        count,
        ratePerSecond: 100,
        generator: createMoGenerator({ random: seededRandom(7) }),
      });
      await pipeline.idle();

      expect(summary).toMatchObject({ mode: 'emulator', sms: count, accepted: count, notAccepted: 0, statusCounts: { 200: count }, outcomeCounts: { accepted: count } });
      expect(summary.latencyMs.count).toBe(count);
      expect(new Set(summary.events.map((event) => event.kind)).size).toBe(8);

      const sent = createMoGenerator({ random: seededRandom(7) });
      for (const event of summary.events) {
        const expected = sent.next();
        const stored = await listMessages(table.table, { by: 'hash', hash: event.smsHash });
        expect(stored).toEqual([
          expect.objectContaining({ id: event.smsHash, from: expected.from, to: expected.to, text: expected.text, eventId: event.eventId, parts: event.parts }),
        ]);
      }
    });
  });

  describe('simulate straight to the webhook, then messages', () => {
    const from = '+447700900999';
    const to = '+33199009999';
    const hour = 3_600_000;
    const base = Math.floor(Date.now() / 1000) * 1000;
    const at = (hoursAgo: number) => new Date(base - hoursAgo * hour);
    let hashes: string[];

    beforeAll(async () => {
      const summary = await simulateDirect({
        url: pipeline.endpoints.webhookUrl,
        secret: pipeline.endpoints.hmacSecret,
        count: 3,
        ratePerSecond: 100,
        maxInFlight: 1,
        generator: createMoGenerator({ from, to, random: seededRandom(3) }),
        clock: clockAt([at(3), at(2), at(1)]),
      });
      expect(summary).toMatchObject({ mode: 'direct', accepted: 3, statusCounts: { 200: 3 }, outcomeCounts: { accepted: 3 } });
      await pipeline.idle();
      hashes = summary.events.map((event) => event.smsHash);
    });

    it('--from lists a sender\'s messages newest first', async () => {
      const messages = await listMessages(table.table, { by: 'from', from });
      expect(messages.map((message) => [message.id, message.receivedAt])).toEqual([
        [hashes[2], at(1).toISOString()],
        [hashes[1], at(2).toISOString()],
        [hashes[0], at(3).toISOString()],
      ]);
    });

    it.each([
      ['since inclusive, until exclusive', { since: at(2), until: at(1) }, [1]],
      ['since only', { since: at(2) }, [2, 1]],
      ['until only', { until: at(2) }, [0]],
      ['no range', {}, [2, 1, 0]],
    ])('--to with %s', async (_case, range, expected) => {
      const messages = await listMessages(table.table, { by: 'to', to, ...range });
      expect(messages.map((message) => message.id)).toEqual(expected.map((index) => hashes[index]));
    });

    it('--limit keeps the newest', async () => {
      const messages = await listMessages(table.table, { by: 'to', to }, 1);
      expect(messages.map((message) => message.id)).toEqual([hashes[2]]);
    });

    it('--to with --keyword lists the messages whose first word it is, newest first, however it is typed', async () => {
      const stored = await listMessages(table.table, { by: 'to', to });
      const keyword = stored[1]!.keyword!;
      const expected = stored.filter((message) => message.keyword === keyword).map((message) => message.id);

      const run = await callrMo(['messages', '--to', to, '--keyword', ` ${keyword.toLowerCase()}!`, '--json', '--data-dir', dataDir]);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(z.array(InboundMessage).parse(JSON.parse(run.stdout)).map((message) => message.id)).toEqual(expected);
      expect(expected).toContain(stored[1]!.id);
    });

    it('with no selector, lists the newest messages of the local pipeline, whoever sent them', async () => {
      const recent = await listMessages(table.table, { by: 'recent' }, 1000);
      const keys = recent.map((message) => `${message.receivedAt}#${message.id}`);
      expect(keys).toEqual([...keys].sort().reverse());
      expect(recent.map((message) => message.id)).toEqual(expect.arrayContaining(hashes));

      const run = await callrMo(['messages', '--json', '--limit', '1000'], { LOCAL_DATA_DIR: dataDir });
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(z.array(InboundMessage).parse(JSON.parse(run.stdout)).map((message) => message.id)).toEqual(recent.map((message) => message.id));
    });

    it('--hash of an unknown SMS is an empty list', async () => {
      await expect(listMessages(table.table, { by: 'hash', hash: 'NOSUCHID' })).resolves.toEqual([]);
    });

    it('the executable prints --json as an array of InboundMessage with the SMS hash as id, and a table otherwise', async () => {
      const [json, text] = await Promise.all([
        callrMo(['messages', '--from', from, '--json', '--data-dir', dataDir]),
        callrMo(['messages', '--to', to, '--limit', '2'], { LOCAL_DATA_DIR: dataDir }),
      ]);

      expect(json).toMatchObject({ code: 0, stderr: '' });
      const messages = z.array(InboundMessage).parse(JSON.parse(json.stdout));
      expect(messages.map((message) => message.id)).toEqual([hashes[2], hashes[1], hashes[0]]);
      expect(messages.every((message) => message.from === from && message.to === to)).toBe(true);

      expect(text).toMatchObject({ code: 0, stderr: '' });
      const lines = text.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^received\s+from\s+to\s+id\s+via\s+parts\s+text$/);
      expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 5))).toEqual([
        [at(1).toISOString().replace('.000Z', 'Z'), from, to, hashes[2], 'webhook'],
        [at(2).toISOString().replace('.000Z', 'Z'), from, to, hashes[1], 'webhook'],
      ]);
    });

    it('a wrong secret gets 401 for every event, counted, and exit code 1', async () => {
      const run = await callrMo(['simulate', '--url', pipeline.endpoints.webhookUrl, '--secret', 'not-the-secret', '--count', '2', '--rate', '50', '--json']);

      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout)).toMatchObject({
        mode: 'direct',
        sms: 2,
        accepted: 0,
        notAccepted: 2,
        statusCounts: { 401: 2 },
        outcomeCounts: { rejected: 2 },
        events: [{ detail: 'invalid_signature' }, { detail: 'invalid_signature' }],
      });
    });
  });

  describe('REST v2 (simulate --format v2)', () => {
    it('straight to the webhook: v2 events stored as the same messages, saying they came as callr.v2', async () => {
      const summary = await simulateDirect({
        url: pipeline.endpoints.webhookUrl,
        secret: pipeline.endpoints.hmacSecret,
        count: 3,
        ratePerSecond: 100,
        format: 'v2',
        generator: createMoGenerator({ random: seededRandom(21) }),
      });
      expect(summary).toMatchObject({ mode: 'direct', accepted: 3, statusCounts: { 200: 3 } });
      await pipeline.idle();

      for (const event of summary.events) {
        const [stored] = await listMessages(table.table, { by: 'hash', hash: event.smsHash });
        expect(stored).toMatchObject({ id: event.smsHash.toUpperCase(), eventId: event.eventId, source: { format: 'callr.v2', eventType: 'v2.sms.inbound.received' } });
      }
      // `messages --hash` with the sid as v2 writes it (lower case) finds the message.
      const run = await callrMo(['messages', '--data-dir', dataDir, '--hash', summary.events[0]!.smsHash.toLowerCase(), '--json']);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(run.stdout)).toEqual([expect.objectContaining({ id: summary.events[0]!.smsHash })]);
    });

    it('through the emulator: only to webhooks subscribed to v2.sms.inbound.received, and stored once though a v1 webhook gets the same SMS', async () => {
      const { callr } = resolveCallr({ dataDir }, deps());
      const noV2 = await simulateThroughEmulator({ emulatorUrl: pipeline.endpoints.callrEmulatorUrl!, count: 1, ratePerSecond: 100, format: 'v2', generator: createMoGenerator({ random: seededRandom(22) }) });
      expect(noV2).toMatchObject({ accepted: 0, outcomeCounts: { no_webhook: 1 }, events: [{ detail: 'the CALLR emulator has no v2.sms.inbound.received webhook subscribed' }] });

      const v2Webhook = await callr.subscribeWebhook({ type: 'v2.sms.inbound.received', endpoint: pipeline.endpoints.webhookUrl, hmacSecret: pipeline.endpoints.hmacSecret });
      try {
        const v2Only = await simulateThroughEmulator({ emulatorUrl: pipeline.endpoints.callrEmulatorUrl!, count: 2, ratePerSecond: 100, format: 'v2', generator: createMoGenerator({ random: seededRandom(23) }) });
        expect(v2Only).toMatchObject({ sms: 2, accepted: 2, notAccepted: 0 });

        // No --format: every webhook, each in its format: one SMS, two events, one message.
        const both = await simulateThroughEmulator({ emulatorUrl: pipeline.endpoints.callrEmulatorUrl!, count: 2, ratePerSecond: 100, generator: createMoGenerator({ random: seededRandom(24) }) });
        expect(both).toMatchObject({ sms: 2, accepted: 4, notAccepted: 0 });
        await pipeline.idle();
        for (const event of [...v2Only.events, ...both.events]) {
          expect(await listMessages(table.table, { by: 'hash', hash: event.smsHash })).toEqual([expect.objectContaining({ id: event.smsHash })]);
        }
      } finally {
        await callr.unsubscribeWebhook(v2Webhook.hash);
      }
    });

    it('the executable takes --format v2 and refuses another format', async () => {
      const run = await callrMo(['simulate', '--data-dir', dataDir, '--direct', '--format', 'v2', '--count', '2', '--rate', '50', '--json']);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(run.stdout)).toMatchObject({ mode: 'direct', accepted: 2 });
      const wrong = await callrMo(['simulate', '--data-dir', dataDir, '--format', 'v3']);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/Allowed choices are v1, v2/);
    });
  });

  describe('dlq', () => {
    const quarantined: Array<{ smsHash: string; eventId: string }> = [];

    beforeAll(async () => {
      // Signed but unusable: an envelope without the SMS object, and an event older than the accepted window.
      const invalidShape = JSON.stringify({ event_id: 'cli-test-invalid-shape-0000000001', type: 'sms.mo', data: { nope: true } });
      const response = await fetch(pipeline.endpoints.webhookUrl, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-CALLR-EventId': 'cli-test-invalid-shape-0000000001',
          'X-CALLR-HmacSignature': signCallrBody(invalidShape, pipeline.endpoints.hmacSecret),
        },
        body: invalidShape,
      });
      expect(response.status).toBe(202);

      const tooOld = await simulateDirect({
        url: pipeline.endpoints.webhookUrl,
        secret: pipeline.endpoints.hmacSecret,
        count: 1,
        ratePerSecond: 10,
        generator: createMoGenerator({ random: seededRandom(11) }),
        clock: clockAt([new Date(Date.now() - 8 * 24 * 3_600_000)]),
      });
      expect(tooOld).toMatchObject({ accepted: 0, statusCounts: { 202: 1 }, outcomeCounts: { quarantined: 1 }, events: [{ detail: 'quarantined: event_too_old' }] });
      quarantined.push({ smsHash: tooOld.events[0]!.smsHash, eventId: tooOld.events[0]!.eventId! });
    });

    const approximateDepth = async () => {
      const { Attributes } = await queues.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queues.deadLetterQueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible);
    };

    it('list shows each quarantined event with its reason and leaves it on the queue', async () => {
      const listing = await listDeadLetters({ sqs: queues.sqs, deadLetterQueueUrl: queues.deadLetterQueueUrl, waitTimeSeconds: 0 });
      const byReason = [...listing.deadLetters].sort((a, b) => (a.reason ?? '').localeCompare(b.reason ?? ''));

      expect(listing.approximateTotal).toBe(2);
      expect(byReason).toEqual([
        expect.objectContaining({
          reason: 'event_too_old',
          source: 'ingest',
          eventId: quarantined[0]!.eventId,
          eventType: 'sms.mo',
          detail: expect.stringMatching(/^event_at .* is more than 604800 s before it was received/),
          preview: expect.stringMatching(new RegExp(`^\\{"event_id":"${quarantined[0]!.eventId}","event_at":".*…$`)),
        }),
        expect.objectContaining({
          reason: 'invalid_shape',
          source: 'ingest',
          // From the body: its event_id and type can be read, though its shape cannot.
          eventId: 'cli-test-invalid-shape-0000000001',
          eventType: 'sms.mo',
          detail: expect.stringContaining('event_at'),
          preview: '{"event_id":"cli-test-invalid-shape-0000000001","type":"sms.mo","data":{"nope":true}}',
        }),
      ]);
      expect(await approximateDepth()).toBe(2);
      const again = await listDeadLetters({ sqs: queues.sqs, deadLetterQueueUrl: queues.deadLetterQueueUrl, waitTimeSeconds: 0 });
      expect(again.deadLetters.map((letter) => letter.messageId).sort()).toEqual(listing.deadLetters.map((letter) => letter.messageId).sort());
    });

    it('the executable lists them as a table with reasons', async () => {
      const run = await callrMo(['dlq', 'list', '--data-dir', dataDir]);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(/^dead-lettered\s+source\s+reason\s+type\s+event id\s+detail\s+event\n/);
      expect(run.stdout).toContain('invalid_shape');
      expect(run.stdout).toContain('event_too_old');
    });

    it('the executable lists only the --reason asked for', async () => {
      const run = await callrMo(['dlq', 'list', '--data-dir', dataDir, '--reason', 'event_too_old', '--json']);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      const listing = JSON.parse(run.stdout) as { deadLetters: Array<{ reason: string; eventId: string }>; reasons: string[] };
      expect(listing.reasons).toEqual(['event_too_old']);
      expect(listing.deadLetters).toEqual([expect.objectContaining({ reason: 'event_too_old', eventId: quarantined[0]!.eventId })]);
    });

    it('redrive --reason moves only those: the old event is stored; a plain redrive then moves the unusable one, which returns with the persister\'s reason', async () => {
      const run = await callrMo(['dlq', 'redrive', '--data-dir', dataDir, '--reason', 'event_too_old']);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toBe('moved 1 dead letter with reason event_too_old back to the ingest queue; 1 with another reason left on the dead-letter queue\n');
      await pipeline.idle();

      // The persister does not judge an event's age: an old event an operator redrives is stored.
      await expect(listMessages(table.table, { by: 'hash', hash: quarantined[0]!.smsHash })).resolves.toEqual([
        expect.objectContaining({ id: quarantined[0]!.smsHash, eventId: quarantined[0]!.eventId }),
      ]);
      expect(await approximateDepth()).toBe(1);

      const result = await copyDeadLettersBack({ sqs: queues.sqs, deadLetterQueueUrl: queues.deadLetterQueueUrl, ingestQueueUrl: queues.ingestQueueUrl! });
      expect(result).toEqual({ mode: 'copy', moved: 1, failed: 0, failures: [] });
      await pipeline.idle();
      const after = await listDeadLetters({ sqs: queues.sqs, deadLetterQueueUrl: queues.deadLetterQueueUrl, waitTimeSeconds: 0 });
      expect(after.deadLetters).toEqual([expect.objectContaining({ reason: 'invalid_shape', source: 'persist', eventId: 'cli-test-invalid-shape-0000000001' })]);
    });
  });

  describe('subscriptions', () => {
    it('lists the webhooks local mode subscribed at the emulator', async () => {
      const webhooks = await listSubscriptions(resolveCallr({ dataDir }, deps()).callr);
      expect(webhooks.sort((a, b) => a.type.localeCompare(b.type))).toEqual([
        { hash: expect.any(String), type: 'sms.mo', endpoint: pipeline.endpoints.webhookUrl, hmacAlgorithm: 'SHA256' },
        { hash: expect.any(String), type: 'sms.mt.status_update', endpoint: pipeline.endpoints.webhookUrl, hmacAlgorithm: 'SHA256' },
      ]);
      expect(webhooks.map((webhook) => webhook.hash).sort()).toEqual([...pipeline.endpoints.webhookHashes].sort());
    });
  });

  describe('the executable', () => {
    it.each([
      ['no local pipeline', ['messages', '--to', '+33199001234'], /no local pipeline found .*start one with `npm start`/],
      ['an unknown flag', ['simulate', '--bogus'], /unknown option '--bogus'/],
      ['a bad count', ['simulate', '--count', 'lots'], /--count <n>' argument 'lots' is invalid/],
    ])('exits 2 with a clear message on %s', async (_case, args, message) => {
      const emptyDir = mkdtempSync(join(tmpdir(), 'callr-mo-none-'));
      try {
        const run = await callrMo(args, { LOCAL_DATA_DIR: emptyDir });
        expect(run.code).toBe(2);
        expect(run.stdout).toBe('');
        expect(run.stderr).toMatch(message);
      } finally {
        rmSync(emptyDir, { recursive: true, force: true });
      }
    });

    it('--help on a command exits 0 and documents its flags', async () => {
      const run = await callrMo(['dlq', 'redrive', '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/Usage: callr-mo dlq redrive \[options\]/);
      for (const flag of ['--stack', '--dlq-url', '--queue-url', '--region', '--data-dir', '--json']) expect(run.stdout).toContain(flag);
    });

    it('simulate through the emulator prints a report and exits 0', async () => {
      const run = await callrMo(['simulate', '--count', '2', '--rate', '50', '--to', '38123', '--data-dir', dataDir]);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(/^sent 2 inbound SMS through the CALLR emulator/);
      expect(run.stdout).toMatch(/200: 2/);
      expect(run.stdout).toContain('npx callr-mo messages --to 38123');
    });
  });
});
