/** @module @omnidealer/core/test — test helpers: an msw server with recorded calls and the shared store contract suite. */
export { createTestServer, type RecordedCall, type TestResponse, type TestServer } from './testing/test-server.js';
export { testStoreContract } from './testing/store-contract.js';
