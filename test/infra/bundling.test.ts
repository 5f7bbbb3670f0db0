import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { type App, Stack } from 'aws-cdk-lib';
import { createApp } from '../../lib/app';
import { PROJECT_CONTEXT } from './synth';

interface BundledFunction {
  readonly description: string;
  readonly directory: string;
}

// The one infra test that bundles for real with esbuild, as `cdk synth` and `cdk deploy` do.
describe('Lambda bundles', () => {
  let bundles: BundledFunction[];

  beforeAll(() => {
    const app: App = createApp({ context: PROJECT_CONTEXT });
    const assembly = app.synth();
    const [stack] = app.node.children.filter((child) => child instanceof Stack);
    const template = assembly.getStackByName(stack.stackName).template as {
      Resources: Record<string, { Type: string; Properties: { Handler?: string; Description: string; Code: { S3Key: string } } }>;
    };
    bundles = Object.values(template.Resources)
      .filter((resource) => resource.Type === 'AWS::Lambda::Function' && resource.Properties.Handler === 'index.handler')
      .map((resource) => ({
        description: resource.Properties.Description,
        directory: path.join(assembly.directory, `asset.${resource.Properties.Code.S3Key.replace(/\.zip$/, '')}`),
      }));
  }, 180_000);

  it('bundles the ingest, persist, subscription, reconcile and sender Lambdas', () => {
    expect(bundles.map((bundle) => bundle.description).sort()).toEqual([
      'Asks CALLR for the inbound SMS it received and hands those not stored to the pipeline (reconciliation)',
      'Sends the SMS requested on the outbox through CALLR, at most once each, and puts the outcome on the inbox',
      'Stores queued CALLR events in DynamoDB and publishes new messages to the inbox topic',
      'Subscribes and unsubscribes the CALLR webhooks (custom resource)',
      'Verifies CALLR webhook signatures and queues authentic events',
    ]);
  });

  it('writes each bundle as minified CommonJS exporting `handler`, with its source map and the pinned AWS SDK inside', () => {
    const facts = bundles.map(({ description, directory }) => {
      const code = readFileSync(path.join(directory, 'index.js'), 'utf8');
      const mapFile = path.join(directory, 'index.js.map');
      const map = existsSync(mapFile) ? (JSON.parse(readFileSync(mapFile, 'utf8')) as { sources?: string[]; sourcesContent?: unknown[] }) : {};
      return {
        description,
        sourceMap: existsSync(mapFile) && statSync(mapFile).size > 0,
        // Stack traces name our files and lines (the map's sources and mappings)...
        mapNamesSources: (map.sources ?? []).some((source) => source.includes('functions/')),
        // ...without shipping every source file, the SDK's included, inside the zip.
        mapCarriesSourceText: map.sourcesContent !== undefined,
        linksSourceMap: /\/\/# sourceMappingURL=index\.js\.map\s*$/.test(code),
        exportsHandler: /handler:\(\)=>/.test(code),
        // Unminified esbuild output has a line every few dozen characters.
        minified: code.split('\n').length < code.length / 1000,
        // Bundled, not left to whichever SDK version the runtime ships.
        loadsSdkClientsFromRuntime: /require\("@aws-sdk\/(client|lib)-/.test(code),
      };
    });
    expect(facts).toEqual(
      bundles.map(({ description }) => ({
        description,
        sourceMap: true,
        mapNamesSources: true,
        mapCarriesSourceText: false,
        linksSourceMap: true,
        exportsHandler: true,
        minified: true,
        loadsSdkClientsFromRuntime: false,
      })),
    );
  });
});
