// Measures one send path in this process, alone: warm-up sends first (sockets, JIT), then the measured ones. Forked
// by send-path.bench.ts with `{ name, stubUrl, warmUp, count }` as its argument; answers with its RunFigures.
import { measureThroughput } from './bench-kit.js';
import { concurrency, createSendPath, type SendPathName } from './send-path-paths.js';

const { name, stubUrl, warmUp, count } = JSON.parse(process.argv[2] as string) as {
  name: SendPathName;
  stubUrl: string;
  warmUp: number;
  count: number;
};
const task = createSendPath(name, stubUrl);
// Every send goes to a recipient of its own: the warm-up ones after the measured ones.
await measureThroughput(warmUp, concurrency, (index) => task(count + index));
const figures = await measureThroughput(count, concurrency, task);
process.send?.(figures, () => process.exit(0));
