/**
 * Test helpers: an in-memory test channel, a hub over one channel, an msw server with recorded calls and the shared
 * channel and store contract suites.
 *
 * @module @omnidealer/core/test
 */

export { createTestChannel, type TestChannel, type TestChannelOptions } from './test-channel.js';
export {
  type ChannelContractError,
  type ChannelContractFixtures,
  type HttpContractProvider,
  httpContractProvider,
  testChannelContract,
} from './testing/channel-contract.js';
export {
  type ChannelTestHub,
  type ChannelTestHubOptions,
  createChannelTestHub,
} from './testing/channel-test-hub.js';
export { type StoreContractOptions, testStoreContract } from './testing/store-contract.js';
export { createTestServer, type RecordedCall, type TestResponse, type TestServer } from './testing/test-server.js';
