import EventEmitter from 'eventemitter3';
import type { HubEvents } from '../events.js';
import type { RedactingLogger } from '../logger.js';

type Listener = (...args: unknown[]) => unknown;
type Payload<E extends keyof HubEvents> = Parameters<HubEvents[E]>[0];

/**
 * The hub's events. Every listener runs guarded: one that throws or rejects is logged and reported on `error`, and
 * the other listeners still get the event. The hub emits only after it committed the state an event describes, so a
 * listener can neither undo a send nor turn a webhook delivery into a 500.
 */
export interface HubEmitter {
  on<E extends keyof HubEvents>(event: E, listener: HubEvents[E]): void;
  once<E extends keyof HubEvents>(event: E, listener: HubEvents[E]): void;
  off<E extends keyof HubEvents>(event: E, listener?: HubEvents[E]): void;
  emit<E extends keyof HubEvents>(event: E, payload: Payload<E>): void;
  /** Reports a failure that happened after the state was committed and changes nothing (logged, then `error`). */
  report(during: string, error: unknown): void;
  removeAllListeners(): void;
}

export function createHubEmitter(logger: RedactingLogger): HubEmitter {
  const emitter = new EventEmitter();
  /** The guarded wrapper registered for each listener, per event, so `off(event, listener)` finds it. */
  const wrappers = new Map<Listener, Map<string, Listener[]>>();

  function report(during: string, error: unknown): void {
    logger.error({ error: String(error) }, `${during} failed`);
    // An `error` listener that fails is only logged: reporting it on `error` again could loop.
    if (during.startsWith('listener of error')) return;
    emitter.emit('error', { during, error });
  }

  function guard(event: string, listener: Listener): Listener {
    return (payload: unknown) => {
      try {
        const returned = listener(payload) as { then?: unknown } | undefined;
        if (returned && typeof returned.then === 'function')
          (returned as Promise<unknown>).then(undefined, (error: unknown) => report(`listener of ${event}`, error));
      } catch (error) {
        report(`listener of ${event}`, error);
      }
    };
  }

  function remember(event: string, listener: Listener, wrapper: Listener): void {
    let byEvent = wrappers.get(listener);
    if (!byEvent) wrappers.set(listener, (byEvent = new Map()));
    byEvent.get(event)?.push(wrapper) ?? byEvent.set(event, [wrapper]);
  }

  function forget(event: string, listener: Listener): Listener | undefined {
    const byEvent = wrappers.get(listener);
    const wrapper = byEvent?.get(event)?.shift();
    if (byEvent && byEvent.get(event)?.length === 0) byEvent.delete(event);
    if (byEvent?.size === 0) wrappers.delete(listener);
    return wrapper;
  }

  return {
    on(event, listener) {
      const wrapper = guard(event, listener as Listener);
      remember(event, listener as Listener, wrapper);
      emitter.on(event, wrapper);
    },
    once(event, listener) {
      const guarded = guard(event, listener as Listener);
      const wrapper: Listener = (payload) => {
        forget(event, listener as Listener);
        guarded(payload);
      };
      remember(event, listener as Listener, wrapper);
      emitter.once(event, wrapper);
    },
    off(event, listener) {
      if (!listener) {
        emitter.removeAllListeners(event);
        for (const [key, byEvent] of wrappers) {
          byEvent.delete(event);
          if (byEvent.size === 0) wrappers.delete(key);
        }
        return;
      }
      const wrapper = forget(event, listener as Listener);
      if (wrapper) emitter.off(event, wrapper);
    },
    emit(event, payload) {
      emitter.emit(event, payload);
    },
    report,
    removeAllListeners() {
      emitter.removeAllListeners();
      wrappers.clear();
    },
  };
}
