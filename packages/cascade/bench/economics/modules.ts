// The modules the economics benchmark uses, loaded once the resolve hook that points workspace packages at their
// TypeScript source is in place. Every file of the benchmark reads them through the live binding `modules`.
import { register } from 'node:module';

/**
 * Workspace packages resolve to their TypeScript source under the `omnidealer-source` export condition. `npx tsx`
 * does not set it, so a resolve hook adds it before the modules are loaded (dynamically, after the hook is in place).
 */
async function load() {
  if (!process.execArgv.some((flag) => flag.includes('omnidealer-source'))) {
    register(
      'data:text/javascript,export async function resolve(specifier, context, next) {' +
        ' return next(specifier, { ...context, conditions: [...context.conditions, "omnidealer-source"] }); }',
      import.meta.url,
    );
  }
  const [core, providerUtils, sms, fixtures, cascade, content, planner, testKit] = await Promise.all([
    import('@omnidealer/core'),
    import('@omnidealer/core/provider-utils'),
    import('@omnidealer/channel-sms'),
    import('../../src/__fixtures__/mock-channels.js'),
    import('../../src/cascade.js'),
    import('../../src/cascade-content.js'),
    import('../../src/planner.js'),
    import('@omnidealer/core/test'),
  ]);
  return {
    ...core,
    ...providerUtils,
    countSegments: sms.countSegments,
    createTestChannel: testKit.createTestChannel,
    ...fixtures,
    ...cascade,
    ...content,
    ...planner,
  };
}

/** Everything the benchmark calls at run time: core, provider utils, the SMS segment counter, the cascade's source. */
export type Modules = Awaited<ReturnType<typeof load>>;

/** The loaded modules; set by {@link loadModules}, which every entry awaits before using them. */
export let modules: Modules;

/** Loads the modules once (later calls reuse them). */
export async function loadModules(): Promise<Modules> {
  modules ??= await load();
  return modules;
}
