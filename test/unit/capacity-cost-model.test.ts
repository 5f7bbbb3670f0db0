import { capacityScenarios, costFigures, type ModelInputs } from '../../bench/benchmarks/capacity-cost';
import { simulateBurst } from '../../bench/model/capacity-model';
import { COST_PROFILES, costPerMillion, lowerBoundPerMillion } from '../../bench/model/cost-model';

/** The models behind docs/capacity.md and docs/cost.md, with the inputs of the runs of 2026-12-02. */
const INPUTS: ModelInputs = { ingestDurationMs: 8.6, ingestInitMs: 560, persistBatchDurationMs: 82, sources: 'test' };
const MEASURED = {
  ingestDurationMs: 8.6,
  persistBatchDurationMs: 82,
  ingestLogBytes: { info: 900, warn: 300 },
  persistLogBytes: { infoPerRecord: 600, metricsPerInvocation: 300 },
  accessLogBytes: 400,
};

describe('capacity model: 5,000 MO/s for 10 minutes on one shortcode', () => {
  const results = Object.fromEntries(capacityScenarios(INPUTS).map((scenario) => [scenario.name, simulateBurst(scenario)]));

  it('with the construct defaults, turns most requests away at the stage throttling and the cold-start stampede', () => {
    const { defaults } = results;
    expect(defaults?.limitsHit.map((entry) => entry.limit)).toEqual(
      expect.arrayContaining(['Lambda account concurrency (ingest cold starts)', 'API stage throttling']),
    );
    expect(defaults?.throttledByApi).toBeGreaterThan(0.7 * 3_000_000);
  });

  it('with the stage raised, lets everything in but stores at what a new on-demand table writes', () => {
    const raised = results['stage-raised'];
    expect(raised?.throttledByApi).toBe(0);
    expect(raised?.limitsHit.map((entry) => entry.limit)).toContain('DynamoDB table write throughput');
    expect(raised?.drainSecondsAfterBurst).toBeGreaterThan(600);
  });

  it('prepared (stage raised, warm ingest instances, warm table throughput) turns nobody away and keeps up', () => {
    const { prepared } = results;
    expect({ turnedAway: (prepared?.throttledByApi ?? 1) + (prepared?.refusedForConcurrency ?? 1), drainedWithinAMinute: (prepared?.drainSecondsAfterBurst ?? Infinity) <= 60 }).toEqual({
      turnedAway: 0,
      drainedWithinAMinute: true,
    });
  });
});

describe('cost model', () => {
  it('puts the lower bound at about $2.0 per million (HTTP API $1.00 + SQS $0.40 + one write $0.625)', () => {
    expect(lowerBoundPerMillion()).toBeCloseTo(2.025, 3);
  });

  it.each([
    ['deployed', 5],
    ['allFeatures', 5],
    ['lean', 2],
  ] as const)('counts the write units of the %s profile (%i per MO)', (profile, units) => {
    const line = costPerMillion(COST_PROFILES[profile], MEASURED).lines.find((candidate) => candidate.item.startsWith('DynamoDB'));
    expect(line?.perMillionUsd).toBeCloseTo(units * 0.625, 6);
  });

  it('prices every profile and both intakes', () => {
    expect(costFigures(INPUTS, { ingestInfo: 900, ingestWarn: 300, access: 400 }).map((figure) => figure.id)).toEqual([
      'cost.deployed',
      'cost.all-features',
      'cost.lean',
      'cost.lower-bound',
      'cost.intake.lambda',
      'cost.intake.direct-sqs',
    ]);
  });
});
