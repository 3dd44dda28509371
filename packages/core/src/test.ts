/**
 * Test helpers: an msw server with recorded calls and the shared store contract suite.
 *
 * @module @omnidealer/core/test
 */

export { testStoreContract } from './testing/store-contract.js';
export { createTestServer, type RecordedCall, type TestResponse, type TestServer } from './testing/test-server.js';
