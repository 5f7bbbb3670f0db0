import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { LAMBDA_BUNDLING, LAMBDA_ENTRIES, LAMBDA_RUNTIME } from '../../lib/constructs/functions';

/**
 * Builds the Lambda bundles as `cdk synth` builds them: the construct's own bundling options
 * (LAMBDA_BUNDLING), turned into the esbuild options NodejsFunction passes on the command line
 * (aws-cdk-lib/aws-lambda-nodejs/lib/bundling.js, buildEsbuildArgs). An option the construct
 * starts using that this mapping does not know stops the bench, rather than measuring a bundle
 * that is not the deployed one.
 */

/** How the AWS SDK ships: inside the bundle (pinned, as deployed today), or the runtime's own. */
export type SdkShipping = 'sdk-bundled' | 'sdk-external';

/** What NodejsFunction makes external when bundleAwsSDK is false (with the Smithy feature flag on). */
const RUNTIME_SDK_PACKAGES = ['@aws-sdk/*', '@smithy/*'];

const KNOWN_BUNDLING_OPTIONS = new Set(['minify', 'sourceMap', 'sourceMapMode', 'esbuildArgs', 'bundleAwsSDK']);

/** How the construct ships the SDK today. */
export const DEPLOYED_SHIPPING: SdkShipping = LAMBDA_BUNDLING.bundleAwsSDK ? 'sdk-bundled' : 'sdk-external';

export function deployedEsbuildOptions(shipping: SdkShipping): BuildOptions {
  const unknown = Object.keys(LAMBDA_BUNDLING).filter((key) => !KNOWN_BUNDLING_OPTIONS.has(key));
  if (unknown.length > 0) {
    throw new Error(`bench/harness/bundles.ts does not map the construct's bundling option(s) ${unknown.join(', ')}: teach it, so the bench measures the deployed bundle`);
  }
  const esbuildArgs: Readonly<Record<string, string>> = LAMBDA_BUNDLING.esbuildArgs;
  const unknownArgs = Object.keys(esbuildArgs).filter((arg) => arg !== '--sources-content');
  if (unknownArgs.length > 0) throw new Error(`bench/harness/bundles.ts does not map esbuild argument(s) ${unknownArgs.join(', ')}`);
  const nodeMajor = /^nodejs(\d+)\.x$/.exec(LAMBDA_RUNTIME.name)?.[1];
  if (!nodeMajor) throw new Error(`unexpected Lambda runtime ${LAMBDA_RUNTIME.name}`);
  const sdkBundled = shipping === 'sdk-bundled';
  return {
    bundle: true,
    platform: 'node',
    // NodejsFunction passes no --format: esbuild's default for platform node is CommonJS.
    format: 'cjs',
    target: `node${nodeMajor}`,
    minify: LAMBDA_BUNDLING.minify,
    sourcemap: LAMBDA_BUNDLING.sourceMap,
    sourcesContent: esbuildArgs['--sources-content'] !== 'false',
    external: sdkBundled ? [] : RUNTIME_SDK_PACKAGES,
    metafile: true,
    logLevel: 'error',
  };
}

export interface BuiltBundle {
  readonly name: string;
  readonly shipping: SdkShipping;
  /** The bundle's index.js, loadable with require(). */
  readonly file: string;
  readonly codeBytes: number;
  readonly sourceMapBytes: number;
  /** index.js and index.js.map deflated as a zip stores them, plus the zip's per-file headers. */
  readonly zipBytes: number;
  /** Bytes of the minified output per npm package (`ours` for our own code). */
  readonly bytesByPackage: Readonly<Record<string, number>>;
}

/** Per-file overhead of a zip (local header, central directory entry, names): about 100 bytes. */
const ZIP_OVERHEAD_PER_FILE = 100;

export type BundleEntry = { readonly file: string } | { readonly contents: string; readonly resolveDir: string };

export async function buildBundle(name: string, entry: BundleEntry, shipping: SdkShipping, outDir: string): Promise<BuiltBundle> {
  const file = join(outDir, shipping, name, 'index.js');
  const result = await build({
    ...deployedEsbuildOptions(shipping),
    ...('file' in entry
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.contents, resolveDir: entry.resolveDir, loader: 'ts', sourcefile: `${name}.ts` } }),
    outfile: file,
  });
  const code = readFileSync(file);
  const map = readFileSync(`${file}.map`);
  return {
    name,
    shipping,
    file,
    codeBytes: code.length,
    sourceMapBytes: map.length,
    zipBytes: deflateRawSync(code).length + deflateRawSync(map).length + 2 * ZIP_OVERHEAD_PER_FILE,
    bytesByPackage: bytesByPackage(result.metafile),
  };
}

function bytesByPackage(metafile: Metafile | undefined): Record<string, number> {
  // One build, one JavaScript output (the other is its source map).
  const output = Object.entries(metafile?.outputs ?? {}).find(([path]) => path.endsWith('.js'))?.[1];
  const totals: Record<string, number> = {};
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const packageName = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? 'ours';
    totals[packageName] = (totals[packageName] ?? 0) + bytesInOutput;
  }
  return totals;
}

/** The deployed Lambdas, by the names the construct gives their entries: a Lambda added there is measured too. */
export const DEPLOYED_ENTRIES: Readonly<Record<string, BundleEntry>> = Object.fromEntries(
  Object.entries(LAMBDA_ENTRIES).map(([name, file]) => [name, { file }]),
);

/** Where bundles are written: under bench/results (git-ignored), so that an external SDK resolves to node_modules. */
export const BUNDLE_OUT_DIR = join(dirname(__dirname), 'results', 'bundles');
