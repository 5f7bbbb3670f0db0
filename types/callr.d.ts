/**
 * CALLR's official Node SDK, 1.x (`callr` on npm, THECALLR/sdk-nodejs at v1.2.0): a devDependency,
 * used only by the tests that drive the CALLR emulator exactly as CALLR's own client does.
 */
declare module 'callr' {
  import type { Agent } from 'node:http';
  /** What the SDK hands its error callback: CALLR's `error.message` token as message, `error.code` as code. */
  interface CallrSdkError extends Error {
    code: number;
    data: unknown;
  }
  interface CallrSdkRequest {
    success(callback: (result: unknown) => void): CallrSdkRequest;
    error(callback: (error: CallrSdkError) => void): CallrSdkRequest;
  }
  interface CallrSdkConfig {
    /** Passed to https.request as its agent (the SDK's proxy support). */
    proxyAgent?: Agent;
    loginas?: { type: 'user' | 'account'; target: string };
  }
  export class api {
    constructor(login: string, password: string, config?: CallrSdkConfig);
    apiUrl: string;
    call(method: string, ...params: unknown[]): CallrSdkRequest;
  }
}
