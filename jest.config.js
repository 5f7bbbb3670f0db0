// The pinned AWS SDK warns once per process that its releases after January 2027 need Node 22;
// known (see README, "Node.js versions"), and it would repeat in every test worker.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // swc, not ts-jest: TypeScript 7 has no JS API that ts-jest could drive.
    '^.+\\.(t|j)sx?$': ['@swc/jest'],
  },
  // Middy 6 and fauxqs ship ESM only; let swc turn them into CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!(@middy|fauxqs)/)'],
  // fauxqs exports only an `import` condition, which jest's CommonJS resolver does not try.
  moduleNameMapper: { '^fauxqs$': '<rootDir>/node_modules/fauxqs/dist/app.js' },
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'],
  testTimeout: 30000,
};
