import { testStoreContract } from '../testing/store-contract.js';
import { createMemoryStore } from './memory-store.js';

testStoreContract('memory', () => createMemoryStore());
