import type { BuiltBundle } from '../harness/bundles';
import type { Figure } from '../harness/report';
import type { ColdStartPlan } from './coldstart';

/**
 * `bundle.*`: each Lambda's bundle as `cdk synth` builds it. The measure is the minified
 * code with the AWS SDK and Smithy excluded (what is ours to shrink); beside it the code with the
 * SDK bundled as deployed, and both zips (code and source map, deflated).
 */
export function bundleFigures(plan: ColdStartPlan): Figure[] {
  const figures: Figure[] = [];
  for (const external of plan.external) {
    const bundled = plan.bundled.find((candidate) => candidate.name === external.name);
    figures.push({
      id: `bundle.${external.name}`,
      title: `${external.name} bundle, minified, AWS SDK and Smithy excluded`,
      value: external.codeBytes,
      unit: 'bytes',
      detail: largestPackages(external),
    });
    figures.push({
      id: `bundle.${external.name}.powertools`,
      title: `${external.name} bundle: the share of Powertools, middy and the invoke store it pulls`,
      value: sumOf(external, (name) => name.startsWith('@aws-lambda-powertools/') || name === '@middy/core' || name === '@aws/lambda-invoke-store'),
      unit: 'bytes',
    });
    if (bundled) {
      figures.push({ id: `bundle.${external.name}.sdk-bundled`, title: `${external.name} bundle, minified, SDK bundled (as deployed)`, value: bundled.codeBytes, unit: 'bytes' });
      figures.push({ id: `bundle.${external.name}.zip.sdk-bundled`, title: `${external.name} zip with the SDK bundled (code and source map)`, value: bundled.zipBytes, unit: 'bytes' });
    }
    figures.push({ id: `bundle.${external.name}.zip.sdk-external`, title: `${external.name} zip with the runtime's SDK (code and source map)`, value: external.zipBytes, unit: 'bytes' });
  }
  return figures;
}

function sumOf(bundle: BuiltBundle, include: (packageName: string) => boolean): number {
  return Object.entries(bundle.bytesByPackage)
    .filter(([name]) => include(name))
    .reduce((sum, [, bytes]) => sum + bytes, 0);
}

/** The five largest contributors, e.g. `zod 32.1 KB, ours 20.6 KB, ...`. */
function largestPackages(bundle: BuiltBundle): string {
  return Object.entries(bundle.bytesByPackage)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(1)} KB`)
    .join(', ');
}
