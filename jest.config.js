// Two projects: fast unit tests (synth, pure functions) and integration tests
// that talk to the real local EFD (see scripts/local-efd). `npm test` runs both.
const transform = { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const common = {
  transform,
  // @platformatic/kafka (and its @platformatic helpers) ship ES modules only, and so does the uuid that thrift
  // (under @dsnp/parquetjs) requires: compile them to CommonJS like our sources
  transformIgnorePatterns: ['/node_modules/(?!(@platformatic/|uuid/|thrift/node_modules/uuid/))'],
  setupFilesAfterEnv: ['<rootDir>/test/setup-cdktf.ts'],
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/cdktf.out', '<rootDir>/.efd-local'],
  testPathIgnorePatterns: ['/node_modules/', '/cdktf.out/', '/.efd-local/'],
};
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.test.ts'],
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '\\.int\\.test\\.ts$'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/*.int.test.ts'],
      setupFilesAfterEnv: [...common.setupFilesAfterEnv, '<rootDir>/test/setup-integration.ts'],
      // the local EFD is started (or completed to every cluster) once, before the first test file
      globalSetup: '<rootDir>/test/global-setup-integration.ts',
    },
  ],
};
