/**
 * One command, no accounts, no internet:
 *   npx tsx --conditions=omnidealer-source examples/trigger-chains/src/main.ts
 */
import { runScenario } from './scenario.js';

const deliveries = await runScenario((line) => console.log(line));
console.log('\nWhat the providers received:');
console.table(deliveries.map(({ when, channel, to, what }) => ({ when, channel, to, what: what.slice(0, 60) })));
