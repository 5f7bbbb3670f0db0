import { smsEncoding } from '../../local/callr-emulator/sms-objects';
import { displayWidth, oneLine, renderTable } from '../../cli/format';
import { createMoGenerator, seededRandom, SIMULATED_RECIPIENTS, type SimulatedSms } from '../../cli/mo-generator';
import { createProgressReporter, shouldShowProgress } from '../../cli/progress';
import { runPaced } from '../../cli/simulate';
import { percentile, summarizeLatencies } from '../../cli/stats';

const take = (count: number, generator = createMoGenerator({ random: seededRandom(42) })): SimulatedSms[] =>
  Array.from({ length: count }, () => generator.next());

describe('the MO generator', () => {
  it('covers every kind of text in any eight SMS in a row, each with the encoding and parts it is meant to exercise', () => {
    const batch = take(8);
    const byKind = Object.fromEntries(batch.map((sms) => [sms.kind, smsEncoding(sms.text)]));

    expect(Object.keys(byKind).sort()).toEqual(['accents', 'cjk', 'emoji', 'gsm-extension', 'keyword', 'long-gsm', 'long-unicode', 'plain']);
    expect(byKind).toMatchObject({
      plain: { encoding: 'GSM', parts: 1 },
      keyword: { encoding: 'GSM', parts: 1 },
      'gsm-extension': { encoding: 'GSM', parts: 1 },
      cjk: { encoding: 'UNICODE', parts: 1 },
      emoji: { encoding: 'UNICODE', parts: 1 },
      accents: { encoding: expect.any(String) },
      'long-gsm': { encoding: 'GSM', parts: expect.any(Number) },
      'long-unicode': { encoding: 'UNICODE', parts: expect.any(Number) },
    });
    expect(byKind['long-gsm']!.parts).toBeGreaterThan(1);
    expect(byKind['long-unicode']!.parts).toBeGreaterThan(1);
  });

  it('sends from fiction-reserved mobile numbers, several of them, to our simulated numbers', () => {
    const batch = take(40);
    for (const sms of batch) {
      expect(sms.from).toMatch(/^(\+3363998\d{4}|\+447700900\d{3}|\+1212555010\d|\+1415555011\d)$/);
      expect(SIMULATED_RECIPIENTS).toContain(sms.to);
    }
    expect(new Set(batch.map((sms) => sms.from)).size).toBeGreaterThan(1);
    expect(new Set(batch.map((sms) => sms.from)).size).toBeLessThanOrEqual(5);
  });

  it('is repeatable with a seed, and pins --from / --to', () => {
    expect(take(10, createMoGenerator({ random: seededRandom(1) }))).toEqual(take(10, createMoGenerator({ random: seededRandom(1) })));
    const pinned = take(5, createMoGenerator({ from: '+15550001', to: '38123' }));
    expect(pinned.map((sms) => [sms.from, sms.to])).toEqual(Array(5).fill(['+15550001', '38123']));
  });
});

describe('latency statistics', () => {
  it.each([
    [[], 50, null],
    [[7], 99, 7],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99, 10],
  ])('nearest-rank percentile of %j at p%d is %p', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it('summarises unsorted latencies, rounded to whole milliseconds', () => {
    expect(summarizeLatencies([30.4, 10.2, 20.6, 100.5])).toEqual({ count: 4, p50: 21, p90: 101, p99: 101, max: 101 });
    expect(summarizeLatencies([])).toEqual({ count: 0, p50: null, p90: null, p99: null, max: null });
  });
});

/** A clock that only moves when slept on, so pacing can be checked without waiting. */
function fakeClock() {
  let now = 0;
  return { monotonicMs: () => now, sleep: async (ms: number) => void (now += ms), at: () => now };
}

describe('runPaced', () => {
  it('starts the i-th task i/rate seconds after the first', async () => {
    const clock = fakeClock();
    const started: number[] = [];

    const results = await runPaced(4, 2, 10, clock, async (index) => {
      started.push(clock.at());
      return index * 10;
    });

    expect(started).toEqual([0, 500, 1000, 1500]);
    expect(results).toEqual([0, 10, 20, 30]);
  });

  it('never runs more than maxInFlight tasks at once', async () => {
    let running = 0;
    let most = 0;
    await runPaced(20, 1000, 3, { monotonicMs: () => 0, sleep: async () => undefined }, async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 1));
      running -= 1;
    });
    expect(most).toBe(3);
  });

  it('stops starting tasks once one fails, and rejects with its error', async () => {
    const started: number[] = [];
    const run = runPaced(10, 1000, 1, { monotonicMs: () => 0, sleep: async () => undefined }, async (index) => {
      started.push(index);
      if (index === 2) throw new Error('emulator gone');
    });
    await expect(run).rejects.toThrow('emulator gone');
    expect(started).toEqual([0, 1, 2]);
  });
});

describe('progress', () => {
  it.each([
    [true, 100, true],
    [false, 100, false],
    [false, 10_000, true],
  ])('on a terminal: %p, a run of %d ms: shown %p', (isTTY, expectedMs, shown) => {
    expect(shouldShowProgress({ write: () => true, isTTY }, expectedMs)).toBe(shown);
  });

  it('logs a line every two seconds and the last one when not on a terminal', () => {
    let now = 0;
    const lines: string[] = [];
    const reporter = createProgressReporter({ write: (text: string) => lines.push(text) }, () => now);
    for (let done = 1; done <= 5; done++) {
      reporter.update({ phase: 'sending', done, total: 5 });
      now += 900;
    }
    expect(lines).toEqual(['sending 1/5\n', 'sending 4/5\n', 'sending 5/5\n']);
  });

  it('redraws one line on a terminal and clears it when done', () => {
    const writes: string[] = [];
    const reporter = createProgressReporter({ write: (text: string) => writes.push(text), isTTY: true });
    reporter.update({ phase: 'waiting', done: 1, total: 2 });
    reporter.done();
    expect(writes).toEqual(['\r\x1b[2Kwaiting for deliveries 1/2', '\r\x1b[2K']);
  });
});

describe('plain-text tables', () => {
  it('align columns by display width, wide characters counting twice', () => {
    expect(displayWidth('ab你好👍')).toBe(8);
    expect(renderTable(['id', 'text'], [['A', '你好'], ['BBB', 'ok']])).toBe('id   text\nA    你好\nBBB  ok');
  });

  it('cut texts to one line without splitting an emoji', () => {
    expect(oneLine('hello\n  world', 20)).toBe('hello world');
    expect(oneLine('ab👍👍👍', 4)).toBe('ab👍…');
  });
});
